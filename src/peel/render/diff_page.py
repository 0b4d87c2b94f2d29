"""``diff.html``: the changes ``peel diff`` found, as an accessible page like the index.

The page shares the reports' layout and stylesheet, with no script and a content security policy that
forbids any network load; the table of changes scrolls inside its own labelled region on a narrow screen.
"""

from __future__ import annotations

from markupsafe import Markup

from peel.diff import Change, summary
from peel.render.index import INDEX_CSS, _report_css
from peel.render.page import page_environment
from peel.render.policies import content_security_policy, style_hash

#: Rules the diff page needs beyond the index's.
DIFF_CSS = """
table.diff { font-size: 0.875rem; }
table.diff td, table.diff th { vertical-align: top; }
table.diff del { text-decoration: line-through; }
table.diff ins { text-decoration: underline; font-weight: bold; }
"""


def render_diff(changes: list[Change], old: str, new: str) -> str:
    """The diff page as HTML text (the same changes always give the same bytes)."""
    css = _report_css() + INDEX_CSS + DIFF_CSS
    html = page_environment().get_template("page/diff.html.j2").render(
        lang="en-GB",
        csp=content_security_policy(style_hash(css)),
        title="What changed between two builds",
        # The project's own stylesheet; escaping would break its selectors.
        css=Markup(css),
        body_class="index",
        old=old,
        new=new,
        summary=summary(changes),
        changes=changes,
    )
    return html if html.endswith("\n") else html + "\n"
