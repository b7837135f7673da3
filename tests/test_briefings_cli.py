"""`flask --app quizapp briefings convert FILE [--out bank.yaml]`."""

from __future__ import annotations

from quizapp.banks import load_bank_text

BRIEFING = """\
Learning briefing: Baby Q

The Incident

- Baby Q was 6 weeks old when a bruise was seen on her cheek.

Good Practice

- The health visitor made a timely referral.

Messages for Practitioners

- Any bruise on a non-mobile baby must be referred.

Questions to consider

- How do you check who lives in the home?
- Record every adult's name.

If in doubt, ask your safeguarding lead.
"""


def run(app, *args):
    return app.test_cli_runner().invoke(args=["briefings", *args])


def test_convert_prints_a_summary_and_writes_the_draft(app, tmp_path):
    source = tmp_path / "baby-q.txt"
    source.write_text(BRIEFING, encoding="utf-8")
    out = tmp_path / "baby-q.yaml"
    result = run(app, "convert", str(source), "--out", str(out))
    assert result.exit_code == 0, result.output
    output = result.output
    assert f"{source}: 2 findings (1 concern, 1 good-practice)" in output
    assert "[good-practice] The health visitor made a timely referral. (under 'Good Practice')" in (
        output
    )
    assert "Reflections: 1" in output
    assert "  ? How do you check who lives in the home?" in output
    assert "Advice: If in doubt, ask your safeguarding lead." in output
    assert "Lines not used: 1" in output
    assert "  - Record every adult's name." in output
    assert f"Draft written to {out}" in output
    loaded = load_bank_text(out.read_text(encoding="utf-8"), "baby-q.yaml")
    assert loaded.errors == []


def test_convert_refuses_text_that_is_no_briefing(app, tmp_path):
    source = tmp_path / "minutes.txt"
    source.write_text("Dear colleagues, please find the minutes attached.", encoding="utf-8")
    result = run(app, "convert", str(source))
    assert result.exit_code == 1
    assert "No headings found." in result.stderr
