"""Author Markdown reaches practitioners rendered and sanitised."""

from html.parser import HTMLParser

import pytest

from quizapp.markdown import render_markdown

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    "<svg onload=alert(1)>",
    '<iframe src="https://evil.example"></iframe>',
    "![x](javascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<div onmouseover="alert(1)">hover</div>',
    "<style>body{display:none}</style>",
]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))


def elements(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


@pytest.mark.parametrize("payload", XSS)
def test_hostile_markdown_is_neutralised(payload):
    """Escaped text is harmless; what matters is which elements and attributes survive."""
    for tag, attrs in elements(str(render_markdown(payload))):
        assert tag not in {"script", "iframe", "style", "svg", "img", "object", "embed"}
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name != "style"
            if name in {"href", "src"}:
                scheme = (value or "").strip().lower()
                assert not scheme.startswith(("javascript:", "data:", "vbscript:")), value


def test_markdown_gets_gov_uk_typography():
    html = str(render_markdown("Para with [a link](https://example.org).\n\n- one\n- two"))
    assert '<p class="govuk-body">' in html
    assert '<ul class="govuk-list govuk-list--bullet">' in html
    assert 'class="govuk-link"' in html
    assert 'rel="noopener noreferrer"' in html


def test_empty_text_renders_nothing():
    assert render_markdown(None) == ""
    assert render_markdown("") == ""
