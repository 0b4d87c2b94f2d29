"""What a published page may contain: the sanitising allowlists and the content security policy.

Every page the project publishes (a force report, the index) is one self-contained HTML file. Two
rules keep it so, and both live here so that they are read and changed together:

- the **allowlist** that each notebook output passes through before it reaches a report
  (:func:`sanitize_output`, built on ``nh3``): semantic tags and a few attributes, images only as
  data URIs, links only to in-page anchors and plain web or mail addresses;
- the **content security policy** each page carries (:func:`content_security_policy`): no script,
  no network, no frames or forms, only the page's own inline stylesheet (pinned by its hash,
  :func:`style_hash`) and data images.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

import nh3

#: Tags a notebook output may use. ``h1`` is not among them: the report's only h1 is its title on
#: the cover. Anything else (script, style, iframe, form, object, svg, input...) is removed.
ALLOWED_TAGS = frozenset({
    "a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "mark", "ol", "p", "picture", "q", "s", "section",
    "small", "source", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "time", "tr", "u", "ul",
})

#: Attributes a notebook output may use (no ``style``, no event handlers).
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "role", "lang", "title", "aria-label", "aria-labelledby",
          "aria-describedby", "aria-hidden"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    # A chart's narrow picture (peel.analysis.narrow_chart), chosen by the window's width.
    "source": {"srcset", "media", "type", "width", "height"},
    "td": {"colspan", "rowspan", "headers"},
    "th": {"colspan", "rowspan", "headers", "scope", "abbr"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
    "ol": {"start", "reversed"},
    "details": {"open"},
}

#: Links a report may contain: in-page anchors and plain links that a reader follows by choice.
LINK_PREFIXES = ("#", "https://", "http://", "mailto:")

#: URL schemes the sanitiser lets through; :func:`_keep_attribute` narrows them per attribute.
URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if (tag, attribute) in (("img", "src"), ("source", "srcset")):
        # Images are embedded; anything that would be fetched is dropped. A srcset holding more than
        # one data image could hide another address after a comma, so it must be one base64 image.
        ok = value.startswith("data:image/") and (tag == "img" or (";base64," in value and value.count(",") == 1
                                                                    and not any(c.isspace() for c in value)))
        return value if ok else None
    if tag == "a" and attribute == "href":
        return value if value.startswith(LINK_PREFIXES) else None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes=set(URL_SCHEMES),
        strip_comments=True,
    )


def sanitize_output(html: str) -> str:
    """An output's HTML reduced to the allowlist (:data:`ALLOWED_TAGS`, :data:`ALLOWED_ATTRIBUTES`).

    Script, styles, event handlers, frames, forms, ``javascript:`` links and images that are not
    data URIs are removed, whatever the notebook produced.
    """
    return _cleaner().clean(html)


def style_hash(css: str) -> str:
    """CSP hash source for an inline style: ``'sha256-<base64 of the SHA-256 of the UTF-8 text>'``."""
    digest = hashlib.sha256(css.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(style_source: str) -> str:
    """The page's policy: no script, no network, no frames or forms; only its own style and data images."""
    return (
        "default-src 'none'; "
        f"style-src {style_source}; "
        "img-src data:; "
        "script-src 'none'; "
        "connect-src 'none'; "
        "font-src 'none'; "
        "object-src 'none'; "
        "frame-src 'none'; "
        "base-uri 'none'; "
        "form-action 'none'"
    )
