"""Identifiers in the shapes the source systems use (Salesforce ids, GA4 cookies, Qualtrics ids).

All ids come from counters run through a bijection, so they are unique without any bookkeeping
and identical for the same seed.
"""

from __future__ import annotations

import random

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_SPREAD = 62**7
_MULTIPLIER = 2_654_435_761  # odd and not a multiple of 31: a bijection modulo 62**7

SALESFORCE_PREFIXES: dict[str, str] = {
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Opportunity": "006",
    "OpportunityHistory": "008",
    "Case": "500",
    "OpportunityContactRole": "00K",
}


def _base62(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        chars.append(BASE62[rest])
    return "".join(reversed(chars))


def salesforce_checksum(id15: str) -> str:
    """The 3-character suffix that makes a 15-character id case-insensitively unique."""
    suffix = []
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_CHECKSUM_ALPHABET[bits])
    return "".join(suffix)


class SalesforceIds:
    """Hands out 18-character ids per object, e.g. `0035g00000Xy12AbCDE` style."""

    def __init__(self, salt: int, pod: str = "Dn000") -> None:
        """`pod` (5 characters) is the middle of every id: two generators with different pods
        never hand out the same id, so a second stream of records leaves the first one's ids
        unchanged."""
        if len(pod) != 5:
            raise ValueError(f"pod must be 5 characters, got {pod!r}")
        self._counters: dict[str, int] = {}
        self._offset = salt % _SPREAD
        self._pod = pod

    def next(self, sobject: str) -> str:
        counter = self._counters.get(sobject, 0) + 1
        self._counters[sobject] = counter
        prefix = SALESFORCE_PREFIXES[sobject]
        number = int(prefix) if prefix.isdigit() else int(prefix, 36)
        offset = self._offset + number * 104_729_113  # objects do not share id tails
        scrambled = (counter * _MULTIPLIER + offset) % _SPREAD
        id15 = prefix + self._pod + _base62(scrambled, 7)
        return id15 + salesforce_checksum(id15)


class PseudoIds:
    """GA4 `user_pseudo_id` values: a random-looking number, a dot, the first-visit second."""

    def __init__(self, salt: int) -> None:
        self._counter = 0
        self._offset = salt % 900_000_000

    def next(self, first_visit_seconds: int) -> str:
        self._counter += 1
        number = 100_000_000 + (self._counter * 7_919 + self._offset) % 900_000_000
        return f"{number}.{first_visit_seconds}"


def qualtrics_response_id(rng: random.Random) -> str:
    """`R_` and 15 alphanumeric characters; uniqueness is checked by the caller."""
    return "R_" + "".join(rng.choice(BASE62) for _ in range(15))
