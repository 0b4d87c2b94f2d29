"""The HTML the notebooks display, from Jinja templates that escape every value.

The templates are in ``peel/analysis/templates/``, inside the notebook side of the package, so that
an edit to one of them changes the execution cache key and re-executes the notebooks that show it.
``macros.html.j2`` holds the report's parts (area heading, finding, measure, figure, data table,
notices, judgments table); ``about_the_data.html.j2`` is the "About the data" area, whose prose an
analyst edits there.

Every value a template prints is escaped unless it is :class:`markupsafe.Markup`. Only two kinds
of HTML are passed as markup: the output of these templates themselves (a finding holding its
measures, a figure holding its data table) and the inspectors' Markdown after
:func:`peel.analysis.markup.render_markdown` has sanitised it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

#: The notebook side's templates.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: The template of the report's parts.
MACROS = "macros.html.j2"

#: The areas with an introduction of their own, ``templates/areas/<area id>.html.j2``, shown under the
#: area's heading. The list is explicit so that a missing file is an error (``TemplateNotFound``), not
#: an introduction silently left out; tests/test_packaging.py checks it against the folder.
AREA_INTRODUCTIONS = frozenset({"victim_service_assessment"})


def make_environment(templates_dir: Path) -> jinja2.Environment:
    """An environment on ``templates_dir``: autoescape on; a block tag alone on its line leaves no blank line."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["area_introductions"] = AREA_INTRODUCTIONS
    return env


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The process's environment, on :data:`TEMPLATES_DIR` (see :func:`make_environment`)."""
    return make_environment(TEMPLATES_DIR)


def part(name: str, **values: Any) -> Markup:
    """One part of a report from its macro in ``macros.html.j2`` (``part("finding", ...)``)."""
    macro = getattr(environment().get_template(MACROS).module, name)
    # A block tag alone on the macro's last line leaves a line break after the part; parts are
    # joined one a line by their caller, so a part never starts or ends with white space.
    return Markup(macro(**values)).strip()


def render(template: str, **values: Any) -> Markup:
    """A whole template (``render("about_the_data.html.j2", ...)``)."""
    # As for part(): the template's last block tag may leave a final line break.
    return Markup(environment().get_template(template).render(**values)).strip()


def sanitised(html: str) -> Markup:
    """Inspectors' Markdown rendered by :func:`peel.analysis.markup.render_markdown`, which sanitised it."""
    return Markup(html)


def join(parts: Iterable[str | None]) -> Markup:
    """Parts made by these templates, one a line, leaving out empty ones."""
    # Markup.join escapes any part that is not already markup, so plain text cannot slip in as HTML.
    return Markup("\n").join(p for p in parts if p)
