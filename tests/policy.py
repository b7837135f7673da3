"""Who may use each route: the one declared access policy, checked by test_authorization.

Every endpoint in the app's URL map has one entry: the URL arguments it needs (names of
`World` attributes, built fresh for each test by `build_world`) and the outcome expected
for each kind of user:

    OK       the page (2xx), or a redirect somewhere other than sign-in; for a POST with an
             empty body, any answer below 500 that is not a refusal (a 400/422 form error
             means the request got past the access check)
    SIGN_IN  a redirect to the sign-in page
    DENIED   403
    MISSING  404 (for example, another person's attempt: we don't confirm it exists)

A new route without an entry fails `test_every_route_has_a_policy_entry` with a message
saying what to add here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from quizapp.extensions import db
from quizapp.models import Agency, Certificate, Role, SsoProvider, Team, User, utcnow

from .factories import DEFAULT_PASSWORD, SMALL_BANK, check_for, import_bank_text

OK = "ok"
SIGN_IN = "sign-in"
DENIED = "403"
MISSING = "404"

#: Every kind of user the policy speaks for. Everyone signed in is also a practitioner
#: (invitations always give that role), as in real use. "manager" is a practitioner of
#: agency A who manages agency A's team: otherwise they get what a practitioner gets.
KINDS = (
    "anonymous",
    "practitioner",
    "manager",
    "author",
    "lead_a",
    "lead_b",
    "partnership_lead",
    "admin",
)
SIGNED_IN = KINDS[1:]


@dataclass(frozen=True)
class Entry:
    """One endpoint's URL arguments (argument -> World attribute) and expected outcomes."""

    expect: dict[str, str]
    args: dict[str, str] = field(default_factory=dict)


def public(**args: str) -> Entry:
    return Entry({kind: OK for kind in KINDS}, args)


def signed_in(*allowed: str, otherwise: str = DENIED, **args: str) -> Entry:
    """Anonymous people are sent to sign in; `allowed` kinds get the page, the rest
    `otherwise`. No `allowed` means every signed-in kind."""
    chosen = set(allowed or SIGNED_IN)
    unknown = chosen - set(SIGNED_IN)
    assert not unknown, f"unknown kinds {unknown}"
    expect = {"anonymous": SIGN_IN}
    expect.update({kind: OK if kind in chosen else otherwise for kind in SIGNED_IN})
    return Entry(expect, args)


def own_attempt(**args: str) -> Entry:
    """Pages of the practitioner's own attempt: anyone else gets 404, never a hint that
    the attempt exists (authors, leads and admins are practitioners too)."""
    return signed_in("practitioner", otherwise=MISSING, attempt_id="attempt_id", **args)


AUTHORS = ("author", "admin")
ADMINS = ("admin",)
LEADS_AND_ADMINS = ("lead_a", "lead_b", "partnership_lead", "admin")
PARTNERSHIP_STAFF = ("partnership_lead", "admin")
AGENCY_LEADS = ("lead_a", "lead_b")
#: Named people: admins, and an agency's own lead (partnership-wide leads see aggregates).
NAMED_PEOPLE = ("lead_a", "lead_b", "admin")

DRAFT = {"key": "bank_key"}


def agency_a(**args: str) -> Entry:
    """Something of agency A (a person, an invitation): administrators and agency A's
    lead; agency B's lead is told it doesn't exist; partnership-wide leads see named
    people nowhere."""
    entry = signed_in(*NAMED_PEOPLE, **args)
    entry.expect["lead_b"] = MISSING
    return entry


POLICY: dict[str, Entry] = {
    "static": public(filename="static_file"),
    # Signing in, registering, password reset, invitations
    # The front door sends people on: signed-in people to their home, others to sign in.
    "auth.index": Entry({"anonymous": SIGN_IN, **{kind: OK for kind in SIGNED_IN}}),
    "auth.sign_in": public(),
    "health.healthz": public(),
    # Signing out ends on the sign-in page, for everyone (test_security checks it works).
    "auth.sign_out": Entry({kind: SIGN_IN for kind in KINDS}),
    "auth.register": public(),
    "auth.registration_sent": public(),
    "auth.confirm_email": public(token="confirm_token"),
    "auth.password_reset": public(),
    "auth.password_reset_sent": public(),
    "auth.choose_new_password": public(token="reset_token"),
    "auth.new_invitation": signed_in(*LEADS_AND_ADMINS),
    "auth.accept_invitation": public(token="invitation_token"),
    # Information pages
    "pages.accessibility": public(),
    # "Stay signed in" in the idle warning: anyone signed in (a 204, no page).
    "session.keep_alive": signed_in(),
    "pages.help": public(),
    "pages.help_guide": public(slug="help_guide"),
    # Taking checks
    "take.your_checks": signed_in(),
    "take.check_overview": signed_in(check_id="check_id"),
    "take.start": signed_in(check_id="check_id"),
    "take.stage": own_attempt(key="stage_key"),
    "take.question": own_attempt(key="question_key"),
    "take.check_answers": own_attempt(),
    "take.result": signed_in("practitioner", otherwise=MISSING, attempt_id="submitted_attempt_id"),
    # Confidence before the first question; confidence after and the reaction questions
    # after the result: the practitioner's own attempt only (take/impact_pages.py).
    "take.confidence_before": own_attempt(),
    "take.confidence_after": signed_in(
        "practitioner", otherwise=MISSING, attempt_id="submitted_attempt_id"
    ),
    "take.reaction_questions": signed_in(
        "practitioner", otherwise=MISSING, attempt_id="submitted_attempt_id"
    ),
    # Certificates: the practitioner's own passed attempt; verifying one: anyone.
    "certificates.certificate": signed_in(
        "practitioner", otherwise=MISSING, attempt_id="submitted_attempt_id"
    ),
    "certificates.certificate_pdf": signed_in(
        "practitioner", otherwise=MISSING, attempt_id="submitted_attempt_id"
    ),
    "certificates.verify": public(),
    # The follow-up to the practitioner's own pass of 9 weeks ago (quizapp/impact): anyone
    # else gets 404. "done" redirects the owner to check answers until it is sent.
    **{
        f"follow_up.{name}": signed_in(
            "practitioner", otherwise=MISSING, attempt_id="follow_up_attempt_id", **args
        )
        for name, args in [
            ("start", {}),
            ("question", {"number": "follow_up_number"}),
            ("confidence", {}),
            ("practice", {}),
            ("check_answers", {}),
            ("done", {}),
        ]
    },
    "certificates.verify_code": public(code="certificate_code"),
    # Your learning record: always the signed-in person's own (no id in the URL).
    "certificates.learning_record": signed_in(),
    "certificates.learning_record_csv": signed_in(),
    "certificates.learning_record_pdf": signed_in(),
    # Your data
    "account.your_data": signed_in(),
    "account.download": signed_in(),
    # Authoring
    "author.banks": signed_in(*AUTHORS),
    "author.bank": signed_in(*AUTHORS, **DRAFT),
    "author.bank_settings": signed_in(*AUTHORS, **DRAFT),
    "author.upload": signed_in(*AUTHORS),
    "author.import_questions": signed_in(*AUTHORS),
    "author.new_from_briefing": signed_in(*AUTHORS),
    "author.version": signed_in(*AUTHORS, key="bank_key", number="version_number"),
    "author.version_statistics": signed_in(*AUTHORS, key="bank_key", number="version_number"),
    "author.export_version": signed_in(*AUTHORS, key="bank_key", number="version_number"),
    "author.export_version_as": signed_in(
        *AUTHORS, key="bank_key", number="version_number", fmt="export_format"
    ),
    "author.restore_version": signed_in(*AUTHORS, key="bank_key", number="version_number"),
    "author.new_draft": signed_in(*AUTHORS, **DRAFT),
    "author.draft": signed_in(*AUTHORS, **DRAFT),
    "author.draft_details": signed_in(*AUTHORS, **DRAFT),
    "author.draft_update": signed_in(*AUTHORS, **DRAFT),
    "author.discard_draft": signed_in(*AUTHORS, **DRAFT),
    "author.publish": signed_in(*AUTHORS, **DRAFT),
    "author.approve": signed_in(*AUTHORS, **DRAFT),
    "author.draft_item": signed_in(
        *AUTHORS, key="bank_key", section="findings_section", item_id="finding_key"
    ),
    "author.move_item": signed_in(
        *AUTHORS, key="bank_key", section="findings_section", item_id="finding_key"
    ),
    "author.delete_item": signed_in(
        *AUTHORS, key="bank_key", section="findings_section", item_id="finding_key"
    ),
    "author.new_question": signed_in(*AUTHORS, **DRAFT),
    "author.add_question": signed_in(*AUTHORS, key="bank_key", kind="question_kind"),
    "author.draft_question": signed_in(*AUTHORS, key="bank_key", question_id="question_key"),
    "author.change_question_type": signed_in(*AUTHORS, key="bank_key", question_id="question_key"),
    "author.duplicate_question": signed_in(*AUTHORS, key="bank_key", question_id="question_key"),
    "author.leave_pool": signed_in(*AUTHORS, key="bank_key", question_id="question_key"),
    "author.preview": signed_in(*AUTHORS, **DRAFT),
    "author.preview_stage": signed_in(*AUTHORS, key="bank_key", stage_id="stage_key"),
    "author.preview_question": signed_in(*AUTHORS, key="bank_key", question_id="question_key"),
    "author.preview_result": signed_in(*AUTHORS, **DRAFT),
    # Dashboards: leads and admins; named people (overdue lists) for an agency's own lead.
    "dashboards.completion": signed_in(*LEADS_AND_ADMINS),
    "dashboards.learning": signed_in(*LEADS_AND_ADMINS),
    "dashboards.finding": signed_in(
        *LEADS_AND_ADMINS, bank_key="bank_key", finding_key="finding_key"
    ),
    "dashboards.scenarios": signed_in(*LEADS_AND_ADMINS, check_id="check_id"),
    "dashboards.impact_page": signed_in(*LEADS_AND_ADMINS, check_id="check_id"),
    "dashboards.report_impact_csv": signed_in(*LEADS_AND_ADMINS),
    "dashboards.report": signed_in(*LEADS_AND_ADMINS),
    "dashboards.report_csv": signed_in(*LEADS_AND_ADMINS),
    "dashboards.report_xlsx": signed_in(*LEADS_AND_ADMINS),
    "dashboards.overdue": signed_in(*AGENCY_LEADS),
    "dashboards.overdue_csv": signed_in(*AGENCY_LEADS),
    "dashboards.overdue_email": signed_in(*AGENCY_LEADS),
    # Team managers' pages: managers only (leads have their own overdue page).
    "managers.teams": signed_in("manager"),
    "managers.teams_csv": signed_in("manager"),
    # Administration
    "admin.home": signed_in(*ADMINS),
    "admin.agencies": signed_in(*ADMINS),
    "admin.sso_providers": signed_in(*ADMINS),
    "admin.new_sso_provider": signed_in(*ADMINS),
    "admin.edit_sso_provider": signed_in(*ADMINS, provider_id="sso_provider_id"),
    "admin.agency_sign_in": signed_in(*ADMINS, agency_id="agency_a_id"),
    # Public, but the world's provider is no provider (its discovery would need a real
    # one): everyone gets 404. tests/test_single_sign_on.py runs the flow itself.
    "sso.start": Entry({kind: MISSING for kind in KINDS}, {"slug": "sso_slug"}),
    "sso.callback": Entry({kind: MISSING for kind in KINDS}, {"slug": "sso_slug"}),
    "admin.add_agency": signed_in(*ADMINS),
    "admin.agency": signed_in(*ADMINS, agency_id="agency_a_id"),
    "admin.edit_agency": signed_in(*ADMINS, agency_id="agency_a_id"),
    "admin.add_team": signed_in(*ADMINS, agency_id="agency_a_id"),
    "admin.rename_team": signed_in(*ADMINS, agency_id="agency_a_id", team_id="team_id"),
    "admin.remove_team": signed_in(*ADMINS, agency_id="agency_a_id", team_id="team_id"),
    "admin.people": signed_in(*NAMED_PEOPLE),
    "admin.upload_people": signed_in(*NAMED_PEOPLE),
    "admin.upload_preview": signed_in(*NAMED_PEOPLE),
    "admin.save_upload": signed_in(*NAMED_PEOPLE),
    "admin.people_template": signed_in(*NAMED_PEOPLE),
    "admin.upload_new_team": signed_in(*NAMED_PEOPLE),
    "admin.invitations": signed_in(*NAMED_PEOPLE),
    "admin.invite_everyone": signed_in(*NAMED_PEOPLE),
    "admin.invitation_resend": agency_a(invitation_id="invitation_id"),
    "admin.invitation_cancel": agency_a(invitation_id="invitation_id"),
    # A person of agency A: their page and what an agency's lead may change there.
    "admin.person": agency_a(user_id="practitioner_id"),
    "admin.person_details": agency_a(user_id="practitioner_id"),
    "admin.person_leave": agency_a(user_id="practitioner_id"),
    "admin.person_return": agency_a(user_id="practitioner_id"),
    "admin.person_invite": agency_a(user_id="practitioner_id"),
    "admin.person_teams": agency_a(user_id="practitioner_id"),
    # Roles, agency moves and anonymising: administrators only.
    "admin.person_roles": signed_in(*ADMINS, user_id="practitioner_id"),
    "admin.person_agency": signed_in(*ADMINS, user_id="practitioner_id"),
    "admin.person_anonymise": signed_in(*ADMINS, user_id="other_practitioner_id"),
    "admin.assignments": signed_in(*PARTNERSHIP_STAFF),
    "admin.new_assignment": signed_in(*PARTNERSHIP_STAFF),
    "admin.edit_assignment": signed_in(*PARTNERSHIP_STAFF, assignment_id="assignment_id"),
    "admin.end_assignment": signed_in(*PARTNERSHIP_STAFF, assignment_id="assignment_id"),
    "admin.checks": signed_in(*PARTNERSHIP_STAFF),
    "admin.check_settings": signed_in(*PARTNERSHIP_STAFF, check_id="check_id"),
    "admin.retire_check": signed_in(*PARTNERSHIP_STAFF, check_id="check_id"),
    "admin.restore_check": signed_in(*PARTNERSHIP_STAFF, check_id="check_id"),
    "admin.advice_line": signed_in(*ADMINS),
    "admin.agency_assignment_emails": signed_in(*ADMINS, agency_id="agency_a_id"),
    "admin.agency_reminder_emails": signed_in(*ADMINS, agency_id="agency_a_id"),
}


def missing_entry_help(endpoint: str, rule: str, arguments: list[str]) -> str:
    """What to paste into POLICY for a new endpoint, with its URL arguments."""
    args = "".join(f', {name}="<World attribute>"' for name in arguments)
    return (
        f"{endpoint} ({rule}) has no entry in tests/policy.py POLICY. Add one saying who may"
        f" use it, for example:\n"
        f'    "{endpoint}": signed_in(*LEADS_AND_ADMINS{args}),\n'
        f"using public(), signed_in(*kinds, otherwise=DENIED|MISSING) or own_attempt();"
        f" kinds are {', '.join(KINDS)}. Each URL argument names an attribute of World"
        f" (tests/policy.py), built by build_world(); add one there if none fits."
    )


# The world every policy check runs in --------------------------------------------------


@lru_cache(maxsize=1)
def _password_hash() -> str:
    """Hashed once: scrypt is slow on purpose, and the world has many people."""
    return generate_password_hash(DEFAULT_PASSWORD, method="scrypt")


@dataclass
class World:
    users: dict[str, User]
    agency_a_id: int
    agency_b_id: int
    team_id: int
    check_id: int
    bank_key: str
    version_number: int
    attempt_id: int
    submitted_attempt_id: int
    other_attempt_id: int
    other_submitted_attempt_id: int
    other_practitioner_id: int
    practitioner_id: int
    invitation_id: int
    assignment_id: int
    confirm_token: str
    reset_token: str
    invitation_token: str
    certificate_code: str
    follow_up_attempt_id: int = 0
    follow_up_number: int = 1
    sso_provider_id: int = 0
    sso_slug: str = "no-such-provider"
    stage_key: str = "first"
    question_key: str = "q-single"
    finding_key: str = "sharing"
    findings_section: str = "findings"
    question_kind: str = "single"
    static_file: str = "favicon.svg"
    help_guide: str = "dashboards"
    export_format: str = "gift"

    def args_for(self, entry: Entry) -> dict[str, Any]:
        return {name: getattr(self, attribute) for name, attribute in entry.args.items()}


def _person(email: str, *, agency: Agency | None, roles: tuple[Role, ...], **extra: Any) -> User:
    user = User(
        email=email,
        name=email.split("@")[0].replace("-", " ").title(),
        agency=agency,
        job_role="Health visitor",
        level="Level 3",
        email_confirmed_at=extra.pop("email_confirmed_at", utcnow()),
        **extra,
    )
    user.password_hash = _password_hash()
    for role in (Role.PRACTITIONER, *roles):
        user.grant(role)
    db.session.add(user)
    return user


def build_world() -> World:
    """Two agencies; one person of each kind; a check with the practitioner's attempts
    (one submitted, one in progress) and another practitioner's; a draft, a team, an
    assignment, and live links (confirmation, reset, invitation)."""
    from quizapp.auth import tokens
    from quizapp.auth.accounts import create_invitation
    from quizapp.author.operations import start_draft
    from quizapp.take.operations import save_answer, start_attempt, submit_attempt
    from quizapp.workforce.operations import create_assignment

    now = utcnow()
    agency_a = Agency(name="Agency A", sector="health")
    agency_b = Agency(name="Agency B", sector="police")
    db.session.add_all([agency_a, agency_b])
    team = Team(agency=agency_a, name="Health visiting")
    db.session.add(team)
    users = {
        "practitioner": _person("practitioner@a.example.org", agency=agency_a, roles=()),
        "manager": _person(
            "manager@a.example.org", agency=agency_a, roles=(), team=team, managed_teams=[team]
        ),
        "author": _person("author@a.example.org", agency=agency_a, roles=(Role.AUTHOR,)),
        "lead_a": _person("lead@a.example.org", agency=agency_a, roles=(Role.LEAD,)),
        "lead_b": _person("lead@b.example.org", agency=agency_b, roles=(Role.LEAD,)),
        "partnership_lead": _person(
            "lead@partnership.example.org", agency=None, roles=(Role.LEAD,)
        ),
        "admin": _person("admin@partnership.example.org", agency=None, roles=(Role.ADMIN,)),
    }
    other = _person("other@b.example.org", agency=agency_b, roles=())
    unconfirmed = _person("new@a.example.org", agency=agency_a, roles=(), email_confirmed_at=None)
    db.session.commit()

    outcome = import_bank_text(SMALL_BANK)
    check = check_for(outcome)
    check.attempts_allowed = None
    submitted = _answered_attempt(users["practitioner"], check, now, save_answer, start_attempt)
    submit_attempt(submitted, now=now)
    in_progress = start_attempt(users["practitioner"], check, now=now)
    first = in_progress.bank_version.questions[0]
    save_answer(in_progress, first, _right_answer(first.spec), 2, now=now)
    other_submitted = _answered_attempt(other, check, now, save_answer, start_attempt)
    submit_attempt(other_submitted, now=now)
    other_in_progress = start_attempt(other, check, now=now)
    start_draft(outcome.bank, user=users["author"], now=now)
    assignment = create_assignment(check=check, all_agencies=True, due_days=30, now=now)
    invitation = create_invitation(
        users["admin"],
        name="Invited Person",
        email="invited@a.example.org",
        agency=agency_a,
        team=None,
        job_role="Nurse",
        level=None,
        now=now,
        valid_for=timedelta(days=14),
    )
    follow_up_pass = _follow_up_pass(users["practitioner"], now, save_answer, start_attempt)
    provider = SsoProvider(
        slug="agency-a",
        name="Agency A account",
        metadata_url="https://login.example.org/.well-known/openid-configuration",
        client_id="client",
        client_secret="secret",
        agency=agency_a,
    )
    db.session.add(provider)
    db.session.commit()
    return World(
        users=users,
        agency_a_id=agency_a.id,
        agency_b_id=agency_b.id,
        team_id=team.id,
        check_id=check.id,
        bank_key=outcome.bank.key,
        version_number=outcome.version.number,
        attempt_id=in_progress.id,
        submitted_attempt_id=submitted.id,
        other_attempt_id=other_in_progress.id,
        other_submitted_attempt_id=other_submitted.id,
        other_practitioner_id=other.id,
        practitioner_id=users["practitioner"].id,
        invitation_id=invitation.id,
        assignment_id=assignment.id,
        confirm_token=tokens.confirmation_token(unconfirmed),
        reset_token=tokens.password_reset_token(users["practitioner"]),
        invitation_token=tokens.invitation_token(invitation),
        certificate_code=db.session.scalars(
            sa.select(Certificate.code).where(Certificate.attempt_id == submitted.id)
        ).one(),
        sso_provider_id=provider.id,
        follow_up_attempt_id=follow_up_pass.id,
    )


def _follow_up_pass(user, now, save_answer, start_attempt):
    """A pass 9 weeks ago of a check of its own, wrong and "very sure" on one finding: its
    follow-up is open, with a question and a confidence page."""
    from quizapp.take.operations import submit_attempt

    outcome = import_bank_text(
        SMALL_BANK.replace("id: small-bank", "id: follow-up-bank"),
        confidence={"referral": "to make a timely referral"},
    )
    then = now - timedelta(weeks=9)
    attempt = start_attempt(user, check_for(outcome), now=then)
    for question in attempt.bank_version.questions:
        if question.type == "reflection":
            continue  # may be left blank; other tests count the world's reflections
        answer = _right_answer(question.spec)
        if question.type == "true_false":
            answer = not answer
        save_answer(attempt, question, answer, 3, now=then)
    submit_attempt(attempt, now=then)
    db.session.commit()
    assert attempt.passed
    return attempt


def _answered_attempt(user, check, now, save_answer, start_attempt):
    attempt = start_attempt(user, check, now=now)
    for question in attempt.bank_version.questions:
        save_answer(attempt, question, _right_answer(question.spec), 3, now=now)
    db.session.commit()
    return attempt


def _right_answer(spec: dict[str, Any]) -> Any:
    """A stored answer in each type's own representation (see quizapp.questions)."""
    from werkzeug.datastructures import MultiDict

    from quizapp.questions import get_type
    from quizapp.questions.base import Arrangement

    from .factories import answer_form

    form = answer_form(spec)
    data = MultiDict()
    for name, value in form.items():
        for item in value if isinstance(value, list) else [value]:
            data.add(name, item)
    return get_type(spec["type"]).parse_answer(spec, data, Arrangement(0))
