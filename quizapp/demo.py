"""The demo partnership: agencies, people, sign-ins and the shipped question banks.

Safe to run again: everything is found by its natural key before it is created. Demo
accounts are made only when the app runs in demo mode.
"""

from __future__ import annotations

from collections.abc import Callable

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import PROJECT_ROOT
from .extensions import db
from .models import Agency, Role, User, utcnow

DEMO_PASSWORD = "demo-password-2026"
BANKS_DIR = PROJECT_ROOT / "question_banks"

#: name, sector, statutory partner
AGENCIES = [
    ("Children's Social Care", "local-authority", True),
    ("Police", "police", True),
    ("Integrated Care Board", "health", True),
    ("NHS Hospital Trust", "health", False),
    ("GP practices", "health", False),
    ("Oak Lane Primary School", "education", False),
    ("Hill Top Academy", "education", False),
    ("Probation Service", "probation", False),
    ("Housing Service", "housing", False),
    ("Family Support Network", "voluntary", False),
]

#: email, name, agency, job role, level, roles
SIGN_INS = [
    ("practitioner@demo.test", "Priya Patel", "NHS Hospital Trust", "Health visitor", "Level 3",
     (Role.PRACTITIONER,)),
    ("author@demo.test", "Alex Morgan", "Children's Social Care", "Training officer", "Level 3",
     (Role.AUTHOR, Role.PRACTITIONER)),
    ("lead@demo.test", "Lesley Grant", None, "Partnership business manager", None,
     (Role.LEAD,)),
    ("police-lead@demo.test", "Sam Okafor", "Police", "Detective inspector", "Tier 2",
     (Role.LEAD, Role.PRACTITIONER)),
    ("admin@demo.test", "Ade Adeyemi", None, "System administrator", None, (Role.ADMIN,)),
]  # fmt: skip

_FIRST = [
    "Amy",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Femi",
    "Grace",
    "Hassan",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Nina",
    "Owen",
    "Pia",
    "Rhys",
    "Sara",
    "Tom",
    "Uma",
]
_LAST = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fisher",
    "Green",
    "Hughes",
    "Islam",
    "Jones",
    "Khan",
    "Lewis",
    "Murphy",
    "Nowak",
    "Owen",
    "Price",
    "Reid",
    "Singh",
]
#: sector -> (job role, level) pairs, taken in turn
_ROLES = {
    "local-authority": [("Social worker", "Level 3"), ("Team manager", "Level 4")],
    "police": [("Police constable", "Tier 1"), ("Detective constable", "Tier 2")],
    "health": [("Paediatric nurse", "Level 3"), ("GP", "Level 3"), ("Midwife", "Level 3"),
               ("Receptionist", "Level 1")],
    "education": [("Class teacher", "School staff"), ("Designated safeguarding lead", "DSL")],
    "probation": [("Probation officer", "Level 2")],
    "housing": [("Housing officer", "Level 2")],
    "voluntary": [("Family support worker", "Level 2")],
}  # fmt: skip
PEOPLE_PER_AGENCY = 4


def prepare_demo(app: Flask, out: Callable[[str], None] = print) -> None:
    """Upgrade the database to head, import the banks, and load the demo partnership."""
    from flask_migrate import upgrade

    if not app.config.get("DEMO_MODE"):
        raise click.ClickException("Demo data is only loaded in demo mode (QUIZAPP_ENV=demo).")
    upgrade()
    import_shipped_banks(out)
    load_demo_people()
    db.session.commit()
    out(f"Demo database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    out(f"Sign in with any of these (password: {DEMO_PASSWORD}):")
    for email, name, agency, job_role, _level, roles in SIGN_INS:
        where = agency or "whole partnership"
        out(f"  {email:<24} {name}, {job_role} ({where}); {', '.join(roles)}")


def import_shipped_banks(out: Callable[[str], None]) -> None:
    from .banks import content_hash, load_bank_paths
    from .banks.importer import import_bank

    for _path, result in load_bank_paths([BANKS_DIR]):
        if result.errors:
            raise click.ClickException(
                "Bank file has errors:\n" + "\n".join(map(str, result.errors))
            )
        outcome = import_bank(result.bank.to_data(), content_hash(result.bank), now=utcnow())
        out(f"Bank {outcome.bank.key}: {outcome.status} (version {outcome.version.number})")


def _agency(name: str, sector: str, statutory: bool) -> Agency:
    agency = db.session.scalar(sa.select(Agency).where(Agency.name == name))
    if agency is None:
        agency = Agency(name=name, sector=sector, statutory_partner=statutory)
        db.session.add(agency)
    return agency


def _person(email: str, name: str, agency: Agency | None, job_role: str, level: str | None) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, agency=agency, job_role=job_role, level=level)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    return user


def load_demo_people() -> None:
    if not current_app.config.get("DEMO_MODE"):
        raise RuntimeError("demo accounts exist only in demo mode")
    agencies = {name: _agency(name, sector, statutory) for name, sector, statutory in AGENCIES}
    db.session.flush()
    for email, name, agency_name, job_role, level, roles in SIGN_INS:
        user = _person(email, name, agencies.get(agency_name or ""), job_role, level)
        for role in roles:
            user.grant(role)
    number = 0
    for agency_name, sector, _ in AGENCIES:
        for index in range(PEOPLE_PER_AGENCY):
            first = _FIRST[number % len(_FIRST)]
            last = _LAST[(number * 7) % len(_LAST)]
            job_role, level = _ROLES[sector][index % len(_ROLES[sector])]
            email = f"{first}.{last}.{number}@demo.test".lower()
            user = _person(email, f"{first} {last}", agencies[agency_name], job_role, level)
            user.grant(Role.PRACTITIONER)
            number += 1
    db.session.flush()


@click.command("demo")
@with_appcontext
def demo_cli() -> None:
    """Load the demo partnership into the configured database (demo mode only)."""
    prepare_demo(current_app._get_current_object(), out=click.echo)  # type: ignore[attr-defined]
