"""Verification codes: random, hard to guess, easy to read out and type.

No Flask here. A code is 12 characters of Crockford's base 32 (digits and letters
without I, L, O and U), so 60 random bits: guessing one that exists, at the tries a
minute /verify allows, would take far longer than any certificate lasts. Typed codes
are forgiving: case, spaces and dashes don't matter, and O, I and L are read as 0, 1, 1.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(typed: str) -> str | None:
    """The stored form of a typed code, or None when it can't be one (so unknown and
    malformed codes get the same answer without a database look-up)."""
    text = "".join(typed.split()).replace("-", "").upper().translate(_READ_AS)
    if len(text) != LENGTH or any(c not in ALPHABET for c in text):
        return None
    return text


def shown(code: str) -> str:
    """XXXX-XXXX-XXXX."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def initials(name: str) -> str:
    """ "Alex Brown" -> "A. B.": all a verifier learns of the holder."""
    letters = [part[0].upper() for part in name.replace("-", " ").split() if part[:1].isalpha()]
    return " ".join(f"{letter}." for letter in letters) or "Not given"
