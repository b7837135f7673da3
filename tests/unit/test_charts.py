"""Charts are SVG strings: well formed, labelled for screen readers, never colour alone."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from quizapp.dashboards.charts import WIDTH, Bar, bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_chart_is_an_image_labelled_by_its_title_and_description():
    svg = parse(
        bar_chart(chart_id="c1", title="Completion", description="Bars", bars=[], maximum=1)
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert svg.find(f"{SVG}title").get("id") == "c1-title"
    assert svg.find(f"{SVG}title").text == "Completion"
    assert svg.find(f"{SVG}desc").get("id") == "c1-desc"
    assert svg.get("viewBox").startswith(f"0 0 {WIDTH} ")
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["No figures to show"]


def test_bars_are_proportional_and_carry_their_figures_as_text():
    svg = parse(
        bar_chart(
            chart_id="c",
            title="t",
            description="d",
            bars=[Bar("Police", 50, "5 of 10 (50%)"), Bar("Health", 100, "8 of 8 (100%)")],
            maximum=100,
        )
    )
    rects = [r for r in svg.iter(f"{SVG}rect")]
    widths = [float(r.get("width")) for r in rects]
    assert widths[1] == 2 * widths[0] > 0
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["Police", "5 of 10 (50%)", "Health", "8 of 8 (100%)"]


def test_a_hidden_figure_is_a_hatched_box_saying_so_not_a_bar_of_any_length():
    svg = parse(
        bar_chart(
            chart_id="c",
            title="t",
            description="d",
            bars=[Bar("Small team", None, "fewer than 5"), Bar("Big team", 40, "4 of 10")],
            maximum=100,
        )
    )
    first = next(svg.iter(f"{SVG}rect"))
    assert first.get("fill") == "url(#c-hatch)"
    assert first.get("stroke-dasharray")
    assert svg.find(f".//{SVG}pattern").get("id") == "c-hatch"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "fewer than 5" in texts


def test_a_zero_is_drawn_as_a_mark_on_the_axis():
    svg = parse(
        bar_chart(chart_id="c", title="t", description="d", bars=[Bar("A", 0, "0")], maximum=0)
    )
    assert list(svg.iter(f"{SVG}rect")) == []
    assert len(list(svg.iter(f"{SVG}line"))) == 2  # the hatch pattern's and the axis mark


def test_text_is_escaped():
    markup = bar_chart(
        chart_id="c",
        title="<script>",
        description="a & b",
        bars=[Bar("<b>Team</b>", 1, "1 & 2")],
        maximum=1,
    )
    assert "<script>" not in markup and "<b>" not in markup
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == "<script>"
    assert [t.text for t in svg.iter(f"{SVG}text")] == ["<b>Team</b>", "1 & 2"]


def test_no_inline_styles_which_the_content_security_policy_would_block():
    markup = bar_chart(chart_id="c", title="t", description="d", bars=[Bar("A", 1, "1")], maximum=1)
    assert "style" not in markup
