"""An attempt's outline (quizapp/take/outline.py): built once per draw, not per page."""

from __future__ import annotations

from quizapp.take import outline as outline_module
from quizapp.take.outline import Outline, QuestionInfo, StageInfo, Step


def _version_outline() -> Outline:
    """One stage; questions 1 and 2 in pool "p", question 3 outside any pool."""
    plain = StageInfo("s", "Stage", "Narrative")
    specs = ({"pool": "p"}, {"pool": "p"}, {})
    infos = tuple(
        QuestionInfo(n, f"q{n}", "true_false", spec, 1, 7, plain, n)
        for n, spec in enumerate(specs, start=1)
    )
    stage = StageInfo("s", "Stage", "Narrative", infos)
    steps = (Step("stage", "s", stage), *(Step("question", q.key, stage, q) for q in infos))
    return Outline(steps, {q.key: q for q in infos})


def test_a_draw_is_built_once_and_numbered_in_draw_order():
    version = _version_outline()
    first = version.drawn([2, 3])
    assert version.drawn((2, 3)) is first
    assert [(q.id, q.number) for q in first.questions.values()] == [(2, 1), (3, 2)]
    assert [step.key for step in first.steps] == ["s", "q2", "q3"]
    other = version.drawn([1, 3])
    assert other is not first
    assert [q.id for q in other.questions.values()] == [1, 3]
    assert [q.id for q in version.drawn(None).questions.values()] == [1, 2, 3]


def test_the_draws_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(outline_module, "DRAWS_KEPT", 2)
    version = _version_outline()
    first = version.drawn([1, 3])
    version.drawn([2, 3])
    version.drawn(None)  # a third draw: the kept ones are let go
    assert len(version._drawn) == 1
    rebuilt = version.drawn([1, 3])
    assert rebuilt is not first
    assert rebuilt == first
