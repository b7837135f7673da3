"""Question banks: the YAML file format (version 1), loading with line numbers, export.

Pure Python: importing banks into the database is `quizapp.banks.importer`'s job.
"""

from __future__ import annotations

from .export import dump_bank
from .loader import (
    BankError,
    BankWarning,
    LoadResult,
    load_bank_file,
    load_bank_paths,
    load_bank_text,
)
from .places import plain_error, plain_message, plain_place
from .schema import FORMAT_VERSION, QUESTION_MODELS, BankFile, QuestionBase, content_hash

__all__ = [
    "FORMAT_VERSION",
    "QUESTION_MODELS",
    "BankError",
    "BankFile",
    "BankWarning",
    "LoadResult",
    "QuestionBase",
    "content_hash",
    "dump_bank",
    "load_bank_file",
    "load_bank_paths",
    "load_bank_text",
    "plain_error",
    "plain_message",
    "plain_place",
]
