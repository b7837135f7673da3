"""`flask --app quizapp banks validate|import`."""

from __future__ import annotations

import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Bank, BankVersion, Check

from .factories import ROOT, small_bank


def run(app, *args):
    return app.test_cli_runner().invoke(args=["banks", *args])


def test_shipped_banks_are_valid(app):
    result = run(app, "validate", str(ROOT / "question_banks"))
    assert result.exit_code == 0, result.stderr
    assert "hs-baby-2016.yaml: valid" in result.output
    assert "warning" not in result.stderr, result.stderr


def test_validate_prints_warnings_and_still_passes(app, tmp_path):
    path = tmp_path / "warned.yaml"
    text = small_bank(**{"      - text: Nobody\n": "      - text: None of the above\n"})
    path.write_text(text)
    result = run(app, "validate", str(path))
    assert result.exit_code == 0, result.stderr
    line = text.splitlines().index("      - text: None of the above") + 1
    assert result.stderr.startswith(
        f"{path}:{line}: warning: questions[0].options[1].text: avoid 'none of the above'"
    ), result.stderr
    assert "warned.yaml: valid (5 questions)" in result.output


def test_validate_prints_warnings_beside_errors(app, tmp_path):
    path = tmp_path / "both.yaml"
    text = small_bank(
        **{
            "    prompt: Who should you tell?": "    prompt: Who should you not tell?",
            "  pass_mark: 80": "  pass_mark: 800",
        }
    )
    path.write_text(text)
    result = run(app, "validate", str(path))
    assert result.exit_code == 1
    assert "warning: questions[0].prompt: a negative question ('not')" in result.stderr
    assert "check.pass_mark: should be at most 100" in result.stderr


def test_import_goes_ahead_despite_warnings(app, tmp_path):
    path = tmp_path / "warned.yaml"
    path.write_text(
        small_bank(**{"    prompt: Who should you tell?": "    prompt: Who should you not tell?"})
    )
    result = run(app, "import", str(path))
    assert result.exit_code == 0, result.stderr
    assert "warning: questions[0].prompt:" in result.stderr
    assert "small-bank created (version 1)" in result.output


def test_validate_reports_every_error_with_file_line_and_field(app, tmp_path):
    broken = tmp_path / "broken.yaml"
    text = small_bank(
        **{
            "    stage: second\n    type: true_false": "    stage: nowhere\n    type: true_false",
            "  pass_mark: 80": '  pass_mark: "80"',
        }
    )
    broken.write_text(text)
    result = run(app, "validate", str(broken))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    stage_line = text.splitlines().index("    stage: nowhere") + 1
    pass_mark_line = text.splitlines().index('  pass_mark: "80"') + 1
    assert any(line.startswith(f"{broken}:{stage_line}: questions[2].stage:") for line in lines), (
        lines
    )
    assert any(line.startswith(f"{broken}:{pass_mark_line}: check.pass_mark:") for line in lines), (
        lines
    )


def test_import_is_all_or_nothing(app, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(small_bank())
    bad = tmp_path / "other.yaml"
    bad.write_text(small_bank(**{"id: small-bank": "id: other-bank", "format: 1": "format: 2"}))
    result = run(app, "import", str(good), str(bad))
    assert result.exit_code == 1
    assert "format" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bank)) == 0


def test_import_then_reimport_unchanged_then_changed(app, tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text(small_bank())
    first = run(app, "import", str(path))
    assert first.exit_code == 0, first.stderr
    assert "small-bank created (version 1)" in first.output
    again = run(app, "import", str(path))
    assert "small-bank unchanged (version 1)" in again.output
    path.write_text(small_bank(**{"Ask your safeguarding lead.": "Ask your manager."}))
    changed = run(app, "import", str(path))
    assert "small-bank new version (version 2)" in changed.output
    db.session.expire_all()
    versions = db.session.scalars(sa.select(BankVersion).order_by(BankVersion.number)).all()
    assert [(v.number, v.status) for v in versions] == [(1, "published"), (2, "published")]
    assert versions[0].signposting == "Ask your safeguarding lead."
    assert versions[1].signposting == "Ask your manager."
    assert versions[0].content_hash != versions[1].content_hash
    # One check per bank, following the latest version.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Check)) == 1


def test_import_sets_the_default_check_from_the_file(app, tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text(small_bank(**{"  refresh_months: 12": "  refresh_months: 12\n  attempts: 3"}))
    assert run(app, "import", str(path)).exit_code == 0
    check = db.session.scalars(sa.select(Check)).one()
    assert (check.title, check.pass_mark, check.certainty) == ("A small check", 80, True)
    assert (check.attempts_allowed, check.refresh_months) == (3, 12)
    assert check.pinned_version_id is None
