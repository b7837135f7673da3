"""The data model: one module per entity or tight group."""

from . import guards as guards
from .agency import SECTOR_LABELS, SECTORS, Agency, Team
from .attempt import Attempt, Response
from .bank import FINDING_KINDS, Bank, BankVersion, Finding, Question, Stage, question_findings
from .check import Check
from .completion import Completion
from .types import utcnow
from .user import Role, User, UserRole, normalise_email

__all__ = [
    "FINDING_KINDS",
    "SECTORS",
    "SECTOR_LABELS",
    "Agency",
    "Attempt",
    "Bank",
    "BankVersion",
    "Check",
    "Completion",
    "Finding",
    "Question",
    "Response",
    "Role",
    "Stage",
    "Team",
    "User",
    "UserRole",
    "normalise_email",
    "question_findings",
    "utcnow",
]
