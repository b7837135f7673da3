"""The shape of a published bank version (its stages and questions, in order), loaded in
two queries and kept in memory: published versions never change, so neither does this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from threading import Lock
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import BankVersion, Question, Stage


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
    number: int


@dataclass(frozen=True)
class Step:
    """One page of an attempt: a stage's narrative, or one question."""

    kind: str  # "stage" or "question"
    key: str
    stage: StageInfo
    question: QuestionInfo | None = None


@dataclass(frozen=True)
class Outline:
    steps: tuple[Step, ...]
    questions: dict[str, QuestionInfo]

    def index(self, kind: str, key: str) -> int | None:
        for position, step in enumerate(self.steps):
            if step.kind == kind and step.key == key:
                return position
        return None


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
