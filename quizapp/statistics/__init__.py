"""Item statistics for checks: how well each question works, and how reliable a check is.

`items` is the arithmetic, pure and database-free; `queries.version_statistics` adds up
what it needs in SQL. Only the pure side is re-exported here, so importing this package
never touches the models; pages import `quizapp.statistics.queries` themselves.
"""

from __future__ import annotations

from .items import (
    DEFAULT_MINIMUM,
    CheckStatistics,
    Flag,
    ItemStatistics,
    ItemSums,
    OptionCount,
    OptionFrequency,
    TotalSums,
    check_statistics,
    item_statistics,
)

__all__ = [
    "DEFAULT_MINIMUM",
    "CheckStatistics",
    "Flag",
    "ItemStatistics",
    "ItemSums",
    "OptionCount",
    "OptionFrequency",
    "TotalSums",
    "check_statistics",
    "item_statistics",
]
