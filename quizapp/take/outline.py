"""The shape of a published bank version (its stages and questions, in order), loaded in
two queries and kept in memory: published versions never change, so neither does this."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from threading import Lock
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import BankVersion, Question, Stage
from ..questions import get_type


@dataclass(frozen=True)
class StageInfo:
    key: str
    title: str
    narrative: str
    questions: tuple[QuestionInfo, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class QuestionInfo:
    """What taking a question needs: the same names as the Question model."""

    id: int
    key: str
    type: str
    spec: dict[str, Any]
    points: int
    version_id: int
    stage: StageInfo
    #: Place among the attempt's marked questions ("Question 3 of 22"), or among its
    #: reflections ("Reflection 1 of 4").
    number: int

    @property
    def scored(self) -> bool:
        return get_type(self.type).scored

    @property
    def label(self) -> str:
        """ "Question 3" or "Reflection 1", as the attempt's pages call it."""
        return f"{'Question' if self.scored else 'Reflection'} {self.number}"

    @property
    def pool(self) -> str | None:
        return self.spec.get("pool")


@dataclass(frozen=True)
class Step:
    """One page of an attempt: a stage's narrative, or one question."""

    kind: str  # "stage" or "question"
    key: str
    stage: StageInfo
    question: QuestionInfo | None = None


@dataclass(frozen=True)
class Outline:
    """A version's stages and questions in story order, or (`drawn`) one attempt's."""

    steps: tuple[Step, ...]
    questions: dict[str, QuestionInfo]
    #: `drawn` outlines by the draw: every page of an attempt asks for the same one.
    _drawn: dict[tuple[int, ...] | None, Outline] = field(
        default_factory=dict, compare=False, repr=False
    )

    def index(self, kind: str, key: str) -> int | None:
        for position, step in enumerate(self.steps):
            if step.kind == kind and step.key == key:
                return position
        return None

    @cached_property
    def scored_count(self) -> int:
        """Marked questions; for a version with pools, what one attempt draws. Kept with
        the (cached, unchanging) outline: every question page asks for it."""
        return len({q.pool or q.key for q in self.questions.values() if q.scored})

    @cached_property
    def reflection_count(self) -> int:
        return sum(1 for question in self.questions.values() if not question.scored)

    def draw(self, seed: int, previous: Iterable[int] = ()) -> list[int]:
        """One question from each pool (and every question not in a pool), in story order,
        a pool in its first member's place. Variants the person's previous attempt drew
        are avoided while others remain, so a retake is not the same paper."""
        rng = random.Random(seed)
        seen = set(previous)
        pools: dict[str, list[QuestionInfo]] = {}
        for question in self.questions.values():
            if question.pool:
                pools.setdefault(question.pool, []).append(question)
        chosen: dict[str, QuestionInfo] = {}
        for name in sorted(pools):
            members = pools[name]
            fresh = [question for question in members if question.id not in seen]
            chosen[name] = rng.choice(fresh or members)
        drawn = []
        for question in self.questions.values():
            if not question.pool:
                drawn.append(question.id)
            elif question is pools[question.pool][0]:
                drawn.append(chosen[question.pool].id)
        return drawn

    def drawn(self, question_ids: Sequence[int] | None) -> Outline:
        """The outline one attempt shows: its drawn questions in the order drawn (every
        question for attempts made before pools), numbered within their kind. Kept with
        this outline (at most DRAWS_KEPT draws), as this outline is kept."""
        key = None if question_ids is None else tuple(question_ids)
        cached = self._drawn.get(key)
        if cached is None:
            cached = self._draw_outline(question_ids)
            if len(self._drawn) >= DRAWS_KEPT:
                self._drawn.clear()
            self._drawn[key] = cached
        return cached

    def _draw_outline(self, question_ids: Sequence[int] | None) -> Outline:
        if question_ids is None:
            ordered = list(self.questions.values())
        else:
            by_id = {question.id: question for question in self.questions.values()}
            ordered = [by_id[question_id] for question_id in question_ids]
        counters = {True: 0, False: 0}
        numbered: dict[str, QuestionInfo] = {}
        for question in ordered:
            counters[question.scored] += 1
            numbered[question.key] = replace(question, number=counters[question.scored])
        by_stage: dict[str, list[QuestionInfo]] = {}
        for question in numbered.values():
            by_stage.setdefault(question.stage.key, []).append(question)
        steps: list[Step] = []
        for step in self.steps:
            if step.kind != "stage":
                continue
            infos = by_stage.get(step.key, [])
            stage = replace(step.stage, questions=tuple(infos))
            steps.append(Step("stage", stage.key, stage))
            steps.extend(Step("question", info.key, stage, info) for info in infos)
        return Outline(tuple(steps), numbered)


#: Distinct draws kept per version: attempts in progress at once, as a rule, are fewer.
DRAWS_KEPT = 4096

_cache: dict[tuple[int, datetime | None], Outline] = {}
_lock = Lock()


def outline_of(version: BankVersion) -> Outline:
    """Cached by version and publication time, so a reused id can never return stale content."""
    key = (version.id, version.published_at)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    outline = _load(version.id)
    if version.published_at is not None:
        with _lock:
            if len(_cache) > 256:
                _cache.clear()
            _cache[key] = outline
    return outline


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _load(version_id: int) -> Outline:
    stages = db.session.execute(
        sa.select(Stage.id, Stage.key, Stage.title, Stage.narrative)
        .where(Stage.version_id == version_id)
        .order_by(Stage.position)
    ).all()
    rows = db.session.execute(
        sa.select(
            Question.id,
            Question.key,
            Question.type,
            Question.spec,
            Question.points,
            Question.stage_id,
        )
        .where(Question.version_id == version_id)
        .order_by(Question.position)
    ).all()
    by_stage: dict[int, list[Any]] = {}
    for row in rows:
        by_stage.setdefault(row.stage_id, []).append(row)
    steps: list[Step] = []
    questions: dict[str, QuestionInfo] = {}
    number = 0
    for stage_row in stages:
        plain = StageInfo(stage_row.key, stage_row.title, stage_row.narrative)
        infos = []
        for row in by_stage.get(stage_row.id, []):
            number += 1
            info = QuestionInfo(
                row.id, row.key, row.type, row.spec, row.points, version_id, plain, number
            )
            infos.append(info)
            questions[info.key] = info
        stage = StageInfo(plain.key, plain.title, plain.narrative, tuple(infos))
        steps.append(Step("stage", stage.key, stage))
        steps.extend(Step("question", info.key, stage, info) for info in infos)
    return Outline(tuple(steps), questions)
