"""Single sign-on (OpenID Connect) against a real provider process (tests/oidc_provider.py).

The test client plays the browser: it follows the app's redirect to the provider over
real HTTP (with `requests`), and brings the provider's answer back to the app's callback.
The app's own token exchange and key fetch are real HTTP to the provider too.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import AgencyEmailDomain, AuditEvent, Role, SsoProvider, User
from quizapp.sso.providers import ConfigError, parse_environment

from .factories import DEFAULT_PASSWORD, create_agency, create_user
from .oidc_provider import CLIENT_ID, CLIENT_SECRET, RunningProvider, running_provider

POLICE = "West Midlands Police"


@pytest.fixture(scope="module")
def idp() -> Iterator[RunningProvider]:
    with running_provider() as provider:
        yield provider


@pytest.fixture
def provider(idp: RunningProvider) -> Iterator[RunningProvider]:
    idp.control(mode="normal", email_verified=True, forget=True)
    yield idp
    idp.control(mode="normal", email_verified=True)


@pytest.fixture
def world(app, provider):
    """Police (its own provider, from the environment), a school reached by a provider
    for email domains (stored, as an administrator adds one), and a council using passwords."""
    police = create_agency(name=POLICE, sector="police")
    police.email_domains.append(AgencyEmailDomain(domain="wmp.police.uk"))
    school = create_agency(name="Oak School", sector="education")
    school.email_domains.append(AgencyEmailDomain(domain="oak.sch.uk"))
    council = create_agency(name="Sandwell Council", sector="local-authority")
    council.email_domains.append(AgencyEmailDomain(domain="sandwell.gov.uk"))
    db.session.add(
        SsoProvider(
            slug="schools",
            name="Schools account",
            metadata_url=provider.metadata_url,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            agency_id=None,
            # The police domain too: the police's own provider still comes first.
            email_domains="oak.sch.uk\nwmp.police.uk",
        )
    )
    db.session.commit()
    app.config["SSO_PROVIDERS"] = [
        {
            "slug": "wmp",
            "name": "West Midlands Police account",
            "metadata_url": provider.metadata_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "agency": POLICE,
        }
    ]
    return {"police": police, "school": school, "council": council}


def start(client, slug: str = "wmp") -> str:
    """Press the provider's button; the address the browser is sent to."""
    response = client.post(f"/sign-in/sso/{slug}")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def at_provider(authorize_url: str, email: str, name: str = "") -> str:
    """Sign in at the provider; the app's callback path with the provider's answer."""
    extra = {"login_hint": email, **({"name": name} if name else {})}
    answer = requests.get(f"{authorize_url}&{urlencode(extra)}", allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    return f"{parts.path}?{parts.query}"


def sso_sign_in(client, email: str, *, slug: str = "wmp", name: str = ""):
    return client.get(at_provider(start(client, slug), email, name))


def page_text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def signed_in_as(client) -> str | None:
    response = client.get("/account/")
    if response.status_code != 200:
        return None
    return page_text(response)


def people() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


# The flow -------------------------------------------------------------------------------


def test_first_sign_in_makes_a_practitioner_of_the_mapped_agency(client, world, provider):
    response = sso_sign_in(client, "sam.patel@wmp.police.uk", name="Sam Patel")

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/checks/")
    user = db.session.scalar(sa.select(User).where(User.email == "sam.patel@wmp.police.uk"))
    assert user.name == "Sam Patel"
    assert user.agency_id == world["police"].id
    assert user.roles == {Role.PRACTITIONER}
    assert user.email_confirmed_at is not None
    assert user.password_hash is None
    assert client.get("/checks/").status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "sign_in.sso"))
    assert event.target == f"user:{user.id}"
    assert event.details == {"provider": "wmp", "created": True}


def test_the_app_uses_the_code_flow_with_pkce_state_and_nonce(client, world, provider):
    authorize_url = start(client)
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(provider.url + "/authorize?")
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == ["http://quizapp.test/sign-in/sso/wmp/callback"]
    assert "openid" in query["scope"][0].split()

    client.get(at_provider(authorize_url, "sam@wmp.police.uk"))
    (token_request,) = provider.seen()["token"]
    # The verifier was sent to the provider (which checked it against the challenge),
    # the secret was not sent in the body (HTTP basic authentication instead).
    assert len(token_request["code_verifier"]) >= 43
    assert "client_secret" not in token_request
    assert token_request["redirect_uri"] == query["redirect_uri"][0]
    assert signed_in_as(client) is not None


def test_a_second_sign_in_links_the_same_account(client, world, provider):
    sso_sign_in(client, "sam@wmp.police.uk")
    client.post("/sign-out")
    before = people()
    response = sso_sign_in(client, "SAM@wmp.police.uk")
    assert response.status_code == 302
    assert people() == before
    events = db.session.scalars(
        sa.select(AuditEvent.details).where(AuditEvent.action == "sign_in.sso")
    ).all()
    assert [details["created"] for details in events] == [True, False]


def test_an_existing_account_is_linked_by_verified_email(client, world, provider):
    person = create_user(email="lee@wmp.police.uk", agency=world["police"], confirmed=False)
    person.grant(Role.LEAD)
    db.session.commit()
    before = people()

    response = sso_sign_in(client, "lee@wmp.police.uk", name="Someone Else")

    assert response.status_code == 302
    assert people() == before
    db.session.expire_all()
    linked = db.session.get(User, person.id)
    assert linked.name == "Test Person"  # the record keeps its details and roles
    assert linked.roles == {Role.PRACTITIONER, Role.LEAD}
    assert linked.email_confirmed_at is not None


def test_a_provider_by_email_domain_takes_the_agency_from_the_address(client, world, provider):
    response = sso_sign_in(client, "kim@oak.sch.uk", slug="schools")
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "kim@oak.sch.uk"))
    assert user.agency_id == world["school"].id


def test_signing_in_sends_you_back_to_the_page_you_asked_for(client, world, provider):
    response = client.post("/sign-in/sso/wmp?next=/account/")
    answer = client.get(at_provider(response.headers["Location"], "sam@wmp.police.uk"))
    assert answer.headers["Location"] == "/account/"


def test_a_new_session_is_made_at_sign_in(client, world, provider):
    client.get("/sign-in")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    sso_sign_in(client, "sam@wmp.police.uk")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "sso_pending" not in session


# Refusals: one clear page, the right status, nothing written -----------------------------


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("wrong-issuer", "came from somewhere other than West Midlands Police account"),
        ("expired", "had expired"),
        ("wrong-audience", "was meant for another service"),
        ("bad-signature", "was not signed with its key"),
        ("wrong-nonce", "belongs to another sign-in"),
        ("hmac", "We could not read the answer from West Midlands Police account"),
    ],
)
def test_a_token_that_fails_a_check_is_refused(client, world, provider, mode, words):
    provider.control(mode=mode)
    before = people()
    response = sso_sign_in(client, "sam@wmp.police.uk")
    assert response.status_code == 400
    text = page_text(response)
    assert "Sorry, we could not sign you in" in text
    assert words in text
    assert people() == before
    assert signed_in_as(client) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_a_replayed_callback_is_refused(client, world, provider):
    callback = at_provider(start(client), "sam@wmp.police.uk")
    assert client.get(callback).status_code == 302
    client.post("/sign-out")
    response = client.get(callback)
    assert response.status_code == 400
    assert "has already been used" in page_text(response)
    assert signed_in_as(client) is None


def test_a_replayed_callback_with_a_copied_cookie_is_refused_by_the_code(
    app, client, world, provider
):
    """A copy of the cookie from before the callback still holds the state; the code
    itself works only once at the provider, so the copy signs nobody in."""
    first = client
    callback = at_provider(start(first), "sam@wmp.police.uk")
    copied = first.get_cookie("session", domain="quizapp.test").value
    assert first.get(callback).status_code == 302

    second = app.test_client()
    second.set_cookie("session", copied, domain="quizapp.test")
    response = second.get(callback)
    assert response.status_code == 400
    assert "did not accept this sign-in" in page_text(response)
    assert signed_in_as(second) is None


def test_a_callback_with_another_state_is_refused(client, world, provider):
    callback = at_provider(start(client), "sam@wmp.police.uk")
    forged = callback.replace("state=", "state=x")
    response = client.get(forged)
    assert response.status_code == 400
    assert people() == 0
    # And the real answer no longer works either: the state was used up.
    assert client.get(callback).status_code == 400


def test_a_callback_without_a_sign_in_started_is_refused(client, world, provider):
    response = client.get("/sign-in/sso/wmp/callback?code=abc&state=def")
    assert response.status_code == 400
    assert "Go to the sign-in page" in page_text(response)


def test_an_error_from_the_provider_is_refused(client, world, provider):
    authorize_url = start(client)
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    response = client.get(f"/sign-in/sso/wmp/callback?error=access_denied&state={state}")
    assert response.status_code == 400
    assert "did not sign you in" in page_text(response)


def test_an_unverified_email_is_refused(client, world, provider):
    create_user(email="lee@wmp.police.uk", agency=world["police"])
    provider.control(email_verified=False)
    response = sso_sign_in(client, "lee@wmp.police.uk")
    assert response.status_code == 403
    assert "has not confirmed that lee@wmp.police.uk is your email address" in page_text(response)
    assert signed_in_as(client) is None


@pytest.mark.parametrize("email", ["kim@gmail.com", "ann@sandwell.gov.uk"])
def test_an_email_domain_the_provider_does_not_serve_is_refused(client, world, provider, email):
    """Gmail is no agency's; the council is an agency, but one that uses passwords."""
    response = sso_sign_in(client, email, slug="schools")
    assert response.status_code == 403
    assert "is not from an agency that signs in with Schools account" in page_text(response)
    assert people() == 0


def test_an_agency_with_its_own_provider_cannot_use_another(client, world, provider):
    response = sso_sign_in(client, "sam@wmp.police.uk", slug="schools")
    assert response.status_code == 403
    assert f"{POLICE} does not sign in with Schools account" in page_text(response)
    assert people() == 0


def test_a_person_of_another_agency_cannot_use_an_agencys_provider(client, world, provider):
    """The police provider vouches for police people only: a council person with an
    account is not signed in through it, even with a verified address."""
    create_user(email="ann@sandwell.gov.uk", agency=world["council"])
    response = sso_sign_in(client, "ann@sandwell.gov.uk")
    assert response.status_code == 403
    assert "Your account is not listed under West Midlands Police" in page_text(response)
    assert signed_in_as(client) is None


def test_a_person_who_has_left_cannot_sign_in(client, world, provider):
    from quizapp.models import utcnow

    person = create_user(email="lee@wmp.police.uk", agency=world["police"])
    person.left_at = utcnow()
    db.session.commit()
    response = sso_sign_in(client, "lee@wmp.police.uk")
    assert response.status_code == 403
    assert "Your account is closed" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_an_unknown_provider_is_not_found(client, world):
    assert client.post("/sign-in/sso/nobody").status_code == 404
    assert client.get("/sign-in/sso/nobody/callback").status_code == 404


def test_an_unreachable_provider_says_so(client, world):
    from .oidc_provider import running_provider as another

    with another() as short_lived:
        url = short_lived.metadata_url
    world["police"].name = POLICE  # unchanged; the environment provider points elsewhere
    client.application.config["SSO_PROVIDERS"][0]["metadata_url"] = url
    response = client.post("/sign-in/sso/wmp")
    assert response.status_code == 502
    assert "We could not reach West Midlands Police account" in page_text(response)


# Requiring single sign-on ----------------------------------------------------------------


def test_a_person_of_an_agency_requiring_sso_cannot_use_a_password(client, auth, world):
    world["police"].sso_required = True
    create_user(email="lee@wmp.police.uk", agency=world["police"])
    response = auth.sign_in("lee@wmp.police.uk", DEFAULT_PASSWORD)
    assert response.status_code == 422
    assert (
        "West Midlands Police uses single sign-on. Use Sign in with West Midlands Police"
        " account instead" in page_text(response)
    )
    assert signed_in_as(client) is None


def test_the_refusal_is_the_same_whether_or_not_the_account_exists(client, auth, world):
    world["police"].sso_required = True
    db.session.commit()
    response = auth.sign_in("nobody@wmp.police.uk", "a wrong password")
    assert response.status_code == 422
    assert "uses single sign-on" in page_text(response)


def test_password_reset_and_registering_are_refused_politely(client, world, mailbox):
    world["police"].sso_required = True
    create_user(email="lee@wmp.police.uk", agency=world["police"])
    response = client.post("/password-reset", data={"email": "lee@wmp.police.uk"})
    assert response.status_code == 422
    assert "uses single sign-on, so there are no passwords to reset" in page_text(response)
    response = client.post(
        "/register",
        data={
            "name": "New Person",
            "email": "new@wmp.police.uk",
            "password": "velvet lantern orbit 2026",
            "confirm_password": "velvet lantern orbit 2026",
        },
    )
    assert response.status_code == 422
    assert "uses single sign-on" in page_text(response)
    assert mailbox.messages == []


def test_people_of_agencies_without_sso_still_use_passwords(client, auth, world):
    world["police"].sso_required = True
    create_user(email="ann@sandwell.gov.uk", agency=world["council"])
    assert auth.sign_in("ann@sandwell.gov.uk").status_code == 302


def test_people_of_an_agency_requiring_sso_sign_in_with_it(client, world, provider):
    world["police"].sso_required = True
    create_user(email="lee@wmp.police.uk", agency=world["police"])
    assert sso_sign_in(client, "lee@wmp.police.uk").status_code == 302
    assert signed_in_as(client) is not None


def test_the_sign_in_page_offers_each_provider(client, world):
    text = page_text(client.get("/sign-in"))
    assert "Sign in with West Midlands Police account" in text
    assert "Sign in with Schools account" in text


# Providers from the environment ----------------------------------------------------------


def test_environment_providers_are_read_from_json():
    providers = parse_environment(
        '[{"slug": "nhs-cis2", "name": "NHS Care Identity", "metadata_url": "https://x/.well-'
        'known/openid-configuration", "client_id": "a", "client_secret": "b",'
        ' "email_domains": ["oak.sch.uk", "elm.sch.uk"]}]'
    )
    assert providers == [
        {
            "slug": "nhs-cis2",
            "name": "NHS Care Identity",
            "metadata_url": "https://x/.well-known/openid-configuration",
            "client_id": "a",
            "client_secret": "b",
            "agency": "",
            "email_domains": "oak.sch.uk\nelm.sch.uk",
        }
    ]
    assert parse_environment("") == []


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("{", "not valid JSON"),
        ('{"slug": "a"}', "must be a JSON list"),
        ('[{"slug": "a", "name": "A"}]', "has no metadata_url, client_id, client_secret"),
        (
            '[{"slug": "a", "name": "A", "metadata_url": "u", "client_id": "c",'
            ' "client_secret": "s"}]',
            "needs an agency or email_domains",
        ),
        (
            '[{"slug": "Bad Slug", "name": "A", "metadata_url": "u", "client_id": "c",'
            ' "client_secret": "s"}]',
            "must be lower case",
        ),
    ],
)
def test_a_wrong_environment_setting_says_what_is_wrong(value, words):
    with pytest.raises(ConfigError, match=words):
        parse_environment(value)


# Administration --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, auth, world):
    create_user(email="admin@partnership.example.org", roles=(Role.PRACTITIONER, Role.ADMIN))
    assert auth.sign_in("admin@partnership.example.org").status_code == 302
    return client


PROVIDER_FORM = {
    "name": "Council account",
    "slug": "sandwell",
    "metadata_url": "https://login.microsoftonline.com/tenant/v2.0/.well-known/openid-configuration",
    "client_id": "client-1",
    "client_secret": "secret-1",
    "email_domains": "",
}


def test_an_admin_adds_a_provider_and_its_secret_is_never_shown(admin_client, world):
    council = world["council"]
    response = admin_client.post(
        "/admin/single-sign-on/new", data={**PROVIDER_FORM, "agency": str(council.id)}
    )
    assert response.status_code == 302
    row = db.session.scalar(sa.select(SsoProvider).where(SsoProvider.slug == "sandwell"))
    assert (row.agency_id, row.client_secret) == (council.id, "secret-1")

    listing = page_text(admin_client.get("/admin/single-sign-on/"))
    assert "Sign in with Council account" in listing
    assert "Sign in with West Midlands Police account" in listing
    assert "Server settings (cannot be changed here)" in listing  # the environment's
    form = admin_client.get(f"/admin/single-sign-on/{row.id}/edit").get_data(as_text=True)
    assert "secret-1" not in form
    assert "client-1" in form

    changed = {**PROVIDER_FORM, "name": "Sandwell account", "client_secret": ""}
    response = admin_client.post(
        f"/admin/single-sign-on/{row.id}/edit",
        data={**changed, "agency": "", "email_domains": "Sandwell.gov.uk\n"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    row = db.session.get(SsoProvider, row.id)
    assert (row.name, row.agency_id, row.client_secret) == ("Sandwell account", None, "secret-1")
    assert row.email_domains == "sandwell.gov.uk"


def test_a_provider_form_with_problems_saves_nothing(admin_client, world):
    response = admin_client.post(
        "/admin/single-sign-on/new", data={**PROVIDER_FORM, "slug": "wmp", "agency": ""}
    )
    assert response.status_code == 422
    assert "Another provider has this short name" in page_text(response)
    response = admin_client.post(
        "/admin/single-sign-on/new", data={**PROVIDER_FORM, "client_secret": "", "agency": ""}
    )
    assert response.status_code == 422
    assert "Enter the client secret" in page_text(response)
    response = admin_client.post("/admin/single-sign-on/new", data={**PROVIDER_FORM, "agency": ""})
    assert response.status_code == 422
    assert "Enter the email domains this provider signs in" in page_text(response)
    response = admin_client.post(
        "/admin/single-sign-on/new",
        data={**PROVIDER_FORM, "slug": "Not OK", "metadata_url": "login.example", "agency": ""},
    )
    assert response.status_code == 422
    assert "Short name must be lower case letters" in page_text(response)
    assert "starting with https://" in page_text(response)
    # Plain http only to this machine: elsewhere the provider's keys could be swapped.
    plain = "http://login.example/.well-known/openid-configuration"
    response = admin_client.post(
        "/admin/single-sign-on/new",
        data={**PROVIDER_FORM, "slug": "plain", "metadata_url": plain, "agency": ""},
    )
    assert response.status_code == 422
    assert "starting with https://" in page_text(response)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SsoProvider)) == 1


def test_an_admin_requires_sso_only_for_an_agency_that_has_a_provider(admin_client, world):
    """The council has email domains, but no provider lists them."""
    council, police = world["council"], world["police"]
    response = admin_client.post(
        f"/admin/agencies/{council.id}/sign-in", data={"sso_required": "yes"}
    )
    assert response.status_code == 422
    assert "Sandwell Council has no single sign-on provider yet" in page_text(response)

    response = admin_client.post(
        f"/admin/agencies/{police.id}/sign-in", data={"sso_required": "yes"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(police), police.id).sso_required is True
    assert db.session.get(type(council), council.id).sso_required is False
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "agency.sso_required")
    )
    assert event.details == {"on": True}


def test_an_invitation_into_an_agency_requiring_sso_points_to_it(client, world):
    from quizapp.auth import tokens
    from quizapp.auth.accounts import create_invitation
    from quizapp.models import utcnow

    admin = create_user(email="admin@partnership.example.org", roles=(Role.ADMIN,))
    invitation = create_invitation(
        admin,
        name="New Officer",
        email="new@wmp.police.uk",
        agency=world["police"],
        team=None,
        job_role="",
        level=None,
        now=utcnow(),
    )
    world["police"].sso_required = True
    db.session.commit()
    link = f"/invitations/{tokens.invitation_token(invitation)}"
    response = client.post(
        link,
        data={
            "password": "velvet lantern orbit 2026",
            "confirm_password": "velvet lantern orbit 2026",
        },
    )
    assert response.status_code == 409
    assert "Use Sign in with West Midlands Police account instead" in page_text(response)
    assert people() == 1  # only the administrator
    assert signed_in_as(client) is None


def test_single_sign_on_accepts_an_open_invitation(client, world, provider):
    """Invited as a lead into a team: the first single sign-on gives what the
    invitation gives, and the invitation is used."""
    from quizapp.auth.accounts import create_invitation
    from quizapp.models import Invitation, Team, utcnow

    admin = create_user(email="admin@partnership.example.org", roles=(Role.ADMIN,))
    team = Team(agency=world["police"], name="Public protection")
    db.session.add(team)
    db.session.flush()
    invitation = create_invitation(
        admin,
        name="Lee Lead",
        email="lee@wmp.police.uk",
        agency=world["police"],
        team=team,
        job_role="Detective sergeant",
        level=None,
        roles=[Role.LEAD],
        now=utcnow(),
    )
    db.session.commit()

    assert sso_sign_in(client, "lee@wmp.police.uk", name="Lee From Token").status_code == 302

    user = db.session.scalar(sa.select(User).where(User.email == "lee@wmp.police.uk"))
    assert user.roles == {Role.PRACTITIONER, Role.LEAD}
    assert (user.name, user.team_id, user.job_role) == ("Lee Lead", team.id, "Detective sergeant")
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).accepted_at is not None


def test_a_one_agency_provider_makes_accounts_only_at_the_agencys_email_domains(
    client, world, provider
):
    """A provider tied to one agency may know anyone (Google knows every Google account):
    where the agency lists its email domains, a new account needs one of them."""
    before = people()
    response = sso_sign_in(client, "brand.new@gmail.example", name="Brand New")
    assert response.status_code == 403
    assert "brand.new@gmail.example is not one of West Midlands Police" in page_text(response)
    assert people() == before
    assert signed_in_as(client) is None
    response = sso_sign_in(client, "kim.lee@wmp.police.uk", name="Kim Lee")
    assert response.status_code == 302
    assert people() == before + 1
