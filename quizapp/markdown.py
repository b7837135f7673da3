"""Author text is Markdown: rendered with markdown-it-py, then sanitised with nh3.

Raw HTML in the source is never passed through, and the sanitiser runs on the output as
well, so no script, event handler, style or javascript: URL reaches a practitioner.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
    "blockquote_open": "govuk-inset-text",
}
_HEADING_CLASSES = {"h1": "govuk-heading-l", "h2": "govuk-heading-m", "h3": "govuk-heading-s"}

_ALLOWED_TAGS = {
    "p", "ul", "ol", "li", "a", "strong", "em", "code", "pre", "blockquote",
    "h1", "h2", "h3", "h4", "br", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"*": {"class"}, "a": {"href", "title"}}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _add_classes(md: MarkdownIt) -> None:
    def make_rule(default_rule_name: str):
        def rule(self, tokens, idx, options, env):
            token = tokens[idx]
            css = _CLASSES.get(token.type) or _HEADING_CLASSES.get(token.tag)
            if css and not token.attrGet("class"):
                token.attrSet("class", css)
            return self.renderToken(tokens, idx, options, env)

        return rule

    for name in [*_CLASSES, "heading_open"]:
        md.add_render_rule(name, make_rule(name))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable("table")
    _add_classes(md)
    return md


def render_markdown(text: str | None) -> Markup:
    """Markdown to safe HTML with GOV.UK typography classes."""
    if not text:
        return Markup("")
    html = _parser().render(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return Markup(clean)
