"""Whose figures a signed-in lead may see.

A lead with an agency sees that agency (its teams, and its people by name); a lead
without one, and an administrator who is not an agency's lead, sees the whole
partnership, as aggregates only. The scope is applied in SQL by every dashboard query
(`condition`), and filter values outside it are refused by the routes with 404, so
no URL or filter reaches another agency's figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..models import Role, User


@dataclass(frozen=True)
class Scope:
    #: None: the whole partnership.
    agency_id: int | None
    agency_name: str | None = None

    @property
    def partnership(self) -> bool:
        return self.agency_id is None

    @property
    def named(self) -> bool:
        """May see people by name: only an agency's own lead, for that agency."""
        return self.agency_id is not None

    @property
    def name(self) -> str:
        return self.agency_name or "the whole partnership"

    @property
    def group_word(self) -> str:
        """What a row of a table stands for in this scope."""
        return "team" if self.named else "agency"

    def condition(self) -> sa.ColumnElement[bool]:
        """SQL narrowing people (User rows) to this scope."""
        if self.agency_id is None:
            return User.agency_id.is_not(None)
        return User.agency_id == self.agency_id

    def group_column(self) -> Any:
        """The column that splits people into this scope's rows: agency or team."""
        return User.agency_id if self.agency_id is None else User.team_id


def scope_for(user: Any) -> Scope:
    """The scope of a lead or administrator (the routes admit nobody else)."""
    if user.has_role(Role.LEAD) and user.agency_id is not None:
        return Scope(agency_id=user.agency_id, agency_name=user.agency.name)
    return Scope(agency_id=None)
