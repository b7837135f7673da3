"""Importing a bank of 1,000 questions: validate the file and write a new version.

    python -m benchmarks.import_bank --db sqlite --questions 1000 --repeat 5

Times the whole of `flask banks import` minus process start-up: parse and validate the
YAML, then import in one transaction. Prints the median and worst of the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from .common import database, environment, summary

TYPES = ("single", "multiple", "true_false", "ordering", "reflection")


def bank_text(questions: int) -> str:
    lines = [
        "format: 1",
        "id: bench-bank",
        "title: Benchmark bank",
        "summary: A large bank.",
        "source:",
        "  publisher: Bench",
        "  title: Bench briefing",
        "findings:",
    ]
    for f in range(20):
        kind = "good-practice" if f % 5 == 0 else "concern"
        lines += [f"  - id: finding-{f}", f"    kind: {kind}", f"    text: Finding number {f}."]
    lines.append("stages:")
    for s in range(10):
        lines += [f"  - id: stage-{s}", f"    title: Part {s}", f"    narrative: What happens {s}."]
    lines.append("questions:")
    for q in range(questions):
        kind = TYPES[q % len(TYPES)]
        lines += [
            f"  - id: q-{q}",
            f"    stage: stage-{q % 10}",
            f"    type: {kind}",
            f"    prompt: Question {q}, what do you do?",
        ]
        if kind != "reflection":
            lines += [
                f"    findings: [finding-{q % 20}, finding-{(q + 7) % 20}]",
                f"    feedback: Because of reason {q}.",
            ]
        if kind in ("single", "multiple"):
            lines.append("    options:")
            for o in range(4):
                correct = "true" if o == 0 or (kind == "multiple" and o == 1) else "false"
                verdict = "right" if correct == "true" else "wrong"
                lines += [
                    f"      - text: Option {o} of question {q}",
                    f"        correct: {correct}",
                    f"        feedback: Why option {o} is {verdict}.",
                ]
        elif kind == "true_false":
            lines += [
                "    answer: false",
                "    feedback_true: Not so.",
                "    feedback_false: Right.",
            ]
        elif kind == "ordering":
            lines += ["    items: [Notice, Ask, Refer, Record]"]
    lines += [
        "signposting: Ask your lead.",
        "check:",
        "  pass_mark: 80",
        "  certainty: true",
        "  refresh_months: 36",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--questions", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import os

    timings, validate_only = [], []
    with tempfile.TemporaryDirectory() as folder, database(args.db, "quizapp_bench_import") as url:
        os.environ.update(environment(url))
        os.environ["QUIZAPP_ENV"] = "development"
        from flask_migrate import upgrade

        from quizapp import create_app
        from quizapp.banks import content_hash, load_bank_file
        from quizapp.banks.importer import import_bank
        from quizapp.extensions import db
        from quizapp.models import utcnow

        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://")}
        )
        with app.app_context():
            upgrade()
            for run in range(args.repeat):
                path = Path(folder) / f"bank-{run}.yaml"
                # Each run changes the text, so each import makes a new version.
                path.write_text(bank_text(args.questions).replace("Ask your lead.", f"Ask {run}."))
                started = time.perf_counter()
                result = load_bank_file(path)
                validated = time.perf_counter()
                assert result.bank is not None, result.errors[:3]
                outcome = import_bank(
                    result.bank.to_data(), content_hash(result.bank), now=utcnow()
                )
                db.session.commit()
                timings.append(time.perf_counter() - started)
                validate_only.append(validated - started)
                assert outcome.status in ("created", "new version")
            db.engine.dispose()
    median = statistics.median(timings)
    print(
        f"{args.db}: {args.questions} questions imported in {median:.2f} s (median of "
        f"{args.repeat}; worst {max(timings):.2f} s;"
        f" validation {statistics.median(validate_only):.2f} s)"
    )
    summary(
        "import_bank",
        database=args.db,
        questions=args.questions,
        repeat=args.repeat,
        median_seconds=round(median, 3),
        max_seconds=round(max(timings), 3),
        validate_median_seconds=round(statistics.median(validate_only), 3),
    )


if __name__ == "__main__":
    main()
