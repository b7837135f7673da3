"""A submitted attempt as xAPI 1.0.3 statements, for the agencies' learning record store.

Each attempt gives: *attempted* the check (when started), *answered* for each response
and each scenario decision on the path taken, *passed* or *failed*, and *completed*. The
verbs are ADL's (the ones cmi5 uses). People are an account on the partnership's home
page named by their user id, never their email unless `XAPI_ACTOR_EMAIL` says so; a
reflection's text never leaves the service (its statement says only that it was written).

Statement ids are UUIDs derived from the service's address, the attempt, the verb and the
response or decision, so sending a statement twice stores it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from ..extensions import db
from ..models import Attempt, Question, Response, ScenarioChoice, XapiOutbox

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
LANGUAGE = "en-GB"
#: How each question type is described as a cmi.interaction.
INTERACTION_TYPES = {
    "single": "choice",
    "multiple": "choice",
    "true_false": "true-false",
    "ordering": "sequencing",
    "reflection": "long-fill-in",
    "scenario": "other",
}


@dataclass(frozen=True)
class XapiSettings:
    #: The base of every IRI, ending in "/".
    service_url: str
    #: The home page of people's and agencies' accounts.
    homepage: str
    #: Identify people by email (mbox) instead of their account.
    actor_email: bool = False


def settings_from_config() -> XapiSettings:
    """The app's xAPI settings; without XAPI_SERVICE_URL, the submitting request's address."""
    config = current_app.config
    service_url = config.get("XAPI_SERVICE_URL") or (
        request.url_root if has_request_context() else "http://localhost/"
    )
    service_url = service_url.rstrip("/") + "/"
    return XapiSettings(
        service_url=service_url,
        homepage=config.get("XAPI_ACCOUNT_HOMEPAGE") or service_url,
        actor_email=bool(config.get("XAPI_ACTOR_EMAIL")),
    )


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(start: datetime, end: datetime) -> str:
    """ISO 8601 duration to the hundredth of a second, as xAPI asks (e.g. PT1H2M3.5S)."""
    seconds = max(round((end - start).total_seconds(), 2), 0.0)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if seconds or text == "PT":
        text += f"{seconds:.2f}".rstrip("0").rstrip(".") + "S"
    return text


def statement_id(settings: XapiSettings, attempt_id: int, verb: str, part: str = "") -> str:
    name = f"{settings.service_url}attempts/{attempt_id}/{verb}/{part}"
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def statements_for_attempt(
    attempt: Attempt,
    settings: XapiSettings,
    *,
    choices: Sequence[ScenarioChoice] = (),
) -> list[dict[str, Any]]:
    """The statements of a submitted attempt, in the order things happened. `choices`:
    the scenario decisions on the attempt's path (`path_choices`)."""
    if attempt.submitted_at is None:
        raise ValueError("only submitted attempts are reported")
    base = settings.service_url
    user, check, version = attempt.user, attempt.check, attempt.bank_version
    check_activity = _activity(
        f"{base}checks/{check.id}", f"{ADL_ACTIVITIES}assessment", check.title
    )
    version_activity = _activity(
        f"{base}banks/{version.bank.key}/versions/{version.number}",
        f"{ADL_ACTIVITIES}course",
        f"{version.title} (version {version.number})",
    )
    if settings.actor_email:
        actor: dict[str, Any] = {"objectType": "Agent", "mbox": f"mailto:{user.email}"}
    else:
        actor = {"objectType": "Agent", "account": _account(settings, str(user.id))}
    context: dict[str, Any] = {
        "registration": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base}attempts/{attempt.id}")),
        "contextActivities": {"grouping": [version_activity]},
        "language": LANGUAGE,
    }
    if user.agency is not None:
        context["team"] = {
            "objectType": "Group",
            "name": user.agency.name,
            "account": _account(settings, f"agency-{user.agency.id}"),
        }
    in_check = {
        **context,
        "contextActivities": {"parent": [check_activity], "grouping": [version_activity]},
    }

    def statement(
        verb: str, part: str, activity: dict[str, Any], moment: datetime, **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": statement_id(settings, attempt.id, verb, part),
            "actor": actor,
            "verb": {"id": f"{ADL_VERBS}{verb}", "display": {"en-US": verb}},
            "object": activity,
            "timestamp": timestamp(moment),
            **extra,
        }

    statements = [statement("attempted", "", check_activity, attempt.started_at, context=context)]
    responses = sorted(attempt.responses, key=lambda r: r.question.position)
    for response in responses:
        statements.append(
            statement(
                "answered",
                f"response-{response.id}",
                _question_activity(version_activity, response.question),
                response.saved_at,
                result=_answer_result(response),
                context=in_check,
            )
        )
    for choice in choices:
        question_iri = _question_activity(version_activity, choice.question)["id"]
        statements.append(
            statement(
                "answered",
                f"choice-{choice.id}",
                _activity(
                    f"{question_iri}/decisions/{choice.node_key}",
                    f"{ADL_ACTIVITIES}cmi.interaction",
                    choice.node_key,
                    interactionType="choice",
                ),
                choice.chosen_at,
                result={"response": choice.alternative_key, "completion": True},
                context=in_check,
            )
        )
    taken = duration(attempt.started_at, attempt.submitted_at)
    outcome = "passed" if attempt.passed else "failed"
    statements.append(
        statement(
            outcome,
            "",
            check_activity,
            attempt.submitted_at,
            result={
                "score": _score(attempt.percent or 0.0, attempt.score, attempt.max_score),
                "success": bool(attempt.passed),
                "completion": True,
                "duration": taken,
            },
            context=context,
        )
    )
    statements.append(
        statement(
            "completed",
            "",
            check_activity,
            attempt.submitted_at,
            result={"completion": True, "duration": taken},
            context=context,
        )
    )
    return statements


def _account(settings: XapiSettings, name: str) -> dict[str, str]:
    return {"homePage": settings.homepage, "name": name}


def _activity(iri: str, kind: str, name: str, **definition: Any) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": iri,
        "definition": {"type": kind, "name": {LANGUAGE: name}, **definition},
    }


def _question_activity(version_activity: dict[str, Any], question: Question) -> dict[str, Any]:
    return _activity(
        f"{version_activity['id']}/questions/{question.key}",
        f"{ADL_ACTIVITIES}cmi.interaction",
        question.key,
        interactionType=INTERACTION_TYPES.get(question.type, "other"),
    )


def _score(percent: float, raw: float | None, maximum: float | None) -> dict[str, float]:
    return {
        "scaled": round(percent / 100, 4),
        "raw": raw or 0.0,
        "min": 0.0,
        "max": maximum or 0.0,
    }


def _answer_result(response: Response) -> dict[str, Any]:
    """Marks for scored questions; for a reflection only that it was written."""
    if response.fraction is None:
        return {"completion": True}
    points = float(response.question.points)
    return {
        "score": _score(response.fraction * 100, response.mark, points),
        "success": response.fraction >= 1,
        "completion": True,
    }


def path_choices(attempt: Attempt) -> list[ScenarioChoice]:
    """Decisions made and not withdrawn (going back withdraws one), in the order made."""
    return list(
        db.session.scalars(
            sa.select(ScenarioChoice)
            .where(
                ScenarioChoice.attempt_id == attempt.id,
                ScenarioChoice.action == "chose",
                ScenarioChoice.withdrawn_at.is_(None),
            )
            .order_by(ScenarioChoice.question_id, ScenarioChoice.sequence)
        )
    )


def queue_statements(attempt: Attempt) -> int:
    """Write the attempt's statements to the outbox, in the submitting transaction, when an
    LRS is configured (nothing is kept for an LRS that may never exist). Returns how many."""
    if not current_app.config.get("XAPI_ENDPOINT"):
        return 0
    statements = statements_for_attempt(
        attempt, settings_from_config(), choices=path_choices(attempt)
    )
    db.session.add_all(
        XapiOutbox(statement_id=payload["id"], payload=payload) for payload in statements
    )
    db.session.flush()
    return len(statements)
