"""Password rules for new passwords: long enough and not a common one.

Length matters more than complexity rules (NCSC and NIST guidance), so we ask for at
least 12 characters and refuse passwords on a list of common ones, compared loosely so
that "Password-2026!" counts as "password2026". Control characters are refused: a tab or
a line break can't be typed into a password box, so one there was pasted by mistake.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from ..text_rules import hidden_characters_problem

MIN_LENGTH = 12
MAX_LENGTH = 1000

TOO_SHORT = f"Password must be {MIN_LENGTH} characters or more"
TOO_LONG = f"Password must be {MAX_LENGTH} characters or fewer"
TOO_COMMON = (
    "Password is too easy to guess because it is a common password. Try three or four random words"
)

_LIST = Path(__file__).with_name("common_passwords.txt")
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "3": "e", "1": "i", "$": "s", "5": "s"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def normalise(password: str) -> str:
    """Lower case without spaces or separators, as the list is written."""
    return _SEPARATORS.sub("", password.casefold())


def _forms(password: str) -> set[str]:
    plain = normalise(password)
    # The word at the core, with the digits and symbols people add around it removed.
    core = _AROUND.sub("", plain)
    forms = {plain, core, plain.translate(_LEET), core.translate(_LEET)}
    forms.add(_AROUND.sub("", plain.translate(_LEET)))
    return {form for form in forms if form}


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, in words for the person, or None."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    hidden = hidden_characters_problem(password, "Password")
    if hidden:
        return hidden
    if len(set(password.casefold())) < 4 or _forms(password) & common_passwords():
        return TOO_COMMON
    return None
