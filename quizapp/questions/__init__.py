"""The question-type registry: the one place a new type is registered.

To add a type: write its module (a QuestionType subclass), its template
`templates/take/questions/<name>.html` and its tests, then list it below. The bank
schema builds its question models from this registry, so the bank format follows.
"""

from __future__ import annotations

from .base import AnswerError, FormData, OptionFeedback, QuestionType
from .multiple import MultipleChoice
from .ordering import Ordering
from .reflection import Reflection
from .scenario import Scenario
from .single import SingleChoice
from .true_false import TrueFalse

QUESTION_TYPES: dict[str, QuestionType] = {
    question_type.name: question_type
    for question_type in (
        SingleChoice(),
        MultipleChoice(),
        TrueFalse(),
        Ordering(),
        Reflection(),
        Scenario(),
    )
}


def get_type(name: str) -> QuestionType:
    """Raise KeyError for an unknown name: a stored question of an unknown type is a bug."""
    try:
        return QUESTION_TYPES[name]
    except KeyError:
        raise KeyError(f"unknown question type {name!r}") from None


__all__ = [
    "QUESTION_TYPES",
    "AnswerError",
    "FormData",
    "OptionFeedback",
    "QuestionType",
    "get_type",
]
