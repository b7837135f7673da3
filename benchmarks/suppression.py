"""CPU time of suppressing one learning cube of partnership size: no database, no Flask.

    python -m benchmarks.suppression --repeat 3
    python -m benchmarks.suppression --profile 25   # cProfile of one run, top 25 entries

Builds, from a seeded random generator, the learning cube of a partnership lead at
100,000 people for one check: 60 agencies in 8 sectors, 7 published levels (plus no level
and all levels), 8 findings, 29 questions (each testing one or two findings) and whole
attempts, four measures (marks, wrong, sure, unsure), with the learning page's rules and
item sums, and times `suppress_cube` with `time.process_time()`, `--repeat` times; prints
each run, the best, the size of the result and a digest of the hidden and small sets (the
same digest before and after a change to `suppress` shows the same result).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import random
import time

from quizapp.dashboards.disclosure import (
    ALL_LEVELS,
    TOTAL,
    Layout,
    cube,
    forget,
    suppress_cube,
)
from quizapp.dashboards.pages import (
    LEARNING_RULES,
    WHOLE,
    _learning_measures,
    finding_item,
    question_item,
)
from quizapp.dashboards.queries import MarkSums
from quizapp.models.tally import NO_LEVEL

AGENCIES = 60
SECTORS = 8
LEVELS = ("Level 1", "Level 2", "Level 3", "Level 4", "DSL", "Tier 1", "Tier 2")
FINDINGS = 8
QUESTIONS = 29
THRESHOLD = 5
#: Takers of an agency: Pareto-distributed (shape 1.5, mean 3 x SCALE). 13 gives about
#: 2,300 people, as "Bench check 1" has in a year at 100,000 people.
SCALE = 13


def learning_cube(seed: int = 1, scale: float = SCALE):
    """The arguments of `suppress_cube` for a learning cube of that shape."""
    rng = random.Random(seed)
    agencies = tuple(range(1, AGENCIES + 1))
    parents = {a: ("sector", f"s{a % SECTORS}") for a in agencies}
    layout = Layout(agencies, LEVELS, parents)
    findings = [("bank", f"f{i}") for i in range(FINDINGS)]
    questions = [("bank", f"q{i:02}") for i in range(QUESTIONS)]
    tests = {q: rng.sample(findings, rng.choice((1, 1, 2))) for q in questions}
    items = (
        *(finding_item(f) for f in findings),
        *(question_item(q) for q in questions),
        WHOLE,
    )
    finest = {}
    for agency in agencies:
        # Agencies of very different sizes: a few large, many small.
        takers = min(int(rng.paretovariate(1.5) * scale), 100 * scale)
        for level in (*LEVELS, NO_LEVEL):
            people = sum(rng.random() < 1 / 8 for _ in range(takers))
            if not people:
                continue
            whole = MarkSums(people=people)
            answered = {}
            for q in questions:
                n = sum(rng.random() < 0.4 for _ in range(people))
                wrong = sum(rng.random() < rng.uniform(0.05, 0.5) for _ in range(n))
                sure = sum(rng.random() < 0.35 for _ in range(wrong))
                unsure = min(wrong, wrong - sure + sum(rng.random() < 0.1 for _ in range(sure)))
                answered[q] = MarkSums(
                    people=n, wrong_people=wrong, sure_people=sure, unsure_people=unsure
                )
                finest[(agency, level, question_item(q))] = answered[q]
            for f in findings:
                parts = [answered[q] for q in questions if f in tests[q]]
                if not parts:
                    continue
                finest[(agency, level, finding_item(f))] = MarkSums(
                    people=min(people, max(p.people for p in parts) + len(parts) - 1),
                    wrong_people=max(p.wrong_people for p in parts),
                    sure_people=max(p.sure_people for p in parts),
                    unsure_people=max(p.unsure_people for p in parts),
                )
            whole.wrong_people = max(a.wrong_people for a in answered.values())
            whole.sure_people = max(a.sure_people for a in answered.values())
            whole.unsure_people = max(a.unsure_people for a in answered.values())
            finest[(agency, level, WHOLE)] = whole
    sums = [
        (finding_item(f), [question_item(q) for q in questions if f in tests[q]]) for f in findings
    ]
    sums.append((WHOLE, [question_item(q) for q in questions]))
    values = cube(finest, layout, items, MarkSums)
    return (values, layout, items), {
        "measures": _learning_measures,
        "rules": LEARNING_RULES,
        "item_sums": [(total, parts) for total, parts in sums if parts],
        "threshold": THRESHOLD,
    }


def digest(hidden) -> str:
    text = repr((sorted(map(repr, hidden)), sorted(map(repr, hidden.small))))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=SCALE, help="agencies' takers, x 3")
    parser.add_argument("--profile", type=int, default=0, help="print this many cProfile rows")
    args = parser.parse_args()
    positional, keywords = learning_cube(args.seed, args.scale)
    values = positional[0]
    people = [n for v in values.values() for n in _learning_measures(v).values()]
    small = sum(0 < n < THRESHOLD for n in people)
    takers = positional[0][(TOTAL, ALL_LEVELS, WHOLE)].people
    print(f"people: {takers}, cells: {len(people)}, of 1-{THRESHOLD - 1} people: {small}")
    if args.profile:
        forget()
        profiler = cProfile.Profile()
        profiler.enable()
        suppress_cube(*positional, **keywords)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
        return
    times = []
    for _ in range(args.repeat):
        forget()  # suppressed afresh, not remembered from the last run
        started = time.process_time()
        result = suppress_cube(*positional, **keywords)
        times.append(time.process_time() - started)
        print(f"suppress_cube: {times[-1]:.2f} s CPU")
    hidden = result.hidden
    print(f"best of {args.repeat}: {min(times):.2f} s CPU")
    again = []
    for _ in range(args.repeat):
        started = time.process_time()
        remembered = suppress_cube(*positional, **keywords)
        again.append(time.process_time() - started)
    assert remembered.hidden == hidden
    print(f"the same cube again (remembered): best {min(again) * 1000:.0f} ms CPU")
    print(f"hidden: {len(hidden)}, small: {len(hidden.small)}, digest {digest(hidden)}")


if __name__ == "__main__":
    main()
