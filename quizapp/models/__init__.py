"""The data model: one module per entity or tight group."""

from . import guards as guards
from .agency import SECTOR_LABELS, SECTORS, Agency, AgencyEmailDomain, Team
from .assignment import (
    DEFAULT_GRACE_DAYS,
    Assignment,
    AssignmentEmail,
    assignment_agencies,
    assignment_teams,
)
from .attempt import FIRST_LAYOUT, LATEST_LAYOUT, Attempt, KeptAnswer, Response
from .audit import AuditEvent
from .bank import FINDING_KINDS, Bank, BankVersion, Finding, Question, Stage, question_findings
from .certificate import Certificate
from .check import Check
from .completion import Completion
from .impact import (
    CONFIDENCE_MOMENTS,
    PRACTICE_ANSWERS,
    ConfidenceRating,
    FollowUp,
    FollowUpResponse,
    Reaction,
)
from .invitation import Invitation
from .reminder import REMINDER_KINDS, OverdueReminder, ReminderSend
from .requirement import Requirement
from .scenario import ScenarioChoice
from .settings import PartnershipSettings
from .sso import SsoProvider
from .tally import (
    AttemptMarks,
    FindingYearCount,
    MonthCount,
    QuestionYearCount,
    StatusCount,
    StatusCountsClock,
    YearCount,
)
from .types import utcnow
from .user import Role, User, UserRole, normalise_email, team_managers
from .xapi import XapiOutbox

__all__ = [
    "CONFIDENCE_MOMENTS",
    "DEFAULT_GRACE_DAYS",
    "FINDING_KINDS",
    "FIRST_LAYOUT",
    "LATEST_LAYOUT",
    "PRACTICE_ANSWERS",
    "REMINDER_KINDS",
    "SECTORS",
    "SECTOR_LABELS",
    "Agency",
    "AgencyEmailDomain",
    "Assignment",
    "AssignmentEmail",
    "Attempt",
    "AttemptMarks",
    "AuditEvent",
    "Bank",
    "BankVersion",
    "Certificate",
    "Check",
    "Completion",
    "ConfidenceRating",
    "Finding",
    "FindingYearCount",
    "FollowUp",
    "FollowUpResponse",
    "Invitation",
    "KeptAnswer",
    "MonthCount",
    "OverdueReminder",
    "PartnershipSettings",
    "Question",
    "QuestionYearCount",
    "Reaction",
    "ReminderSend",
    "Requirement",
    "Response",
    "Role",
    "ScenarioChoice",
    "SsoProvider",
    "Stage",
    "StatusCount",
    "StatusCountsClock",
    "Team",
    "User",
    "UserRole",
    "XapiOutbox",
    "YearCount",
    "assignment_agencies",
    "assignment_teams",
    "normalise_email",
    "question_findings",
    "team_managers",
    "utcnow",
]
