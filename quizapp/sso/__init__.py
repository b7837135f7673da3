"""Single sign-on with OpenID Connect: signing in through an agency's own identity
provider (Microsoft Entra ID, NHS CIS2, Google, ...) instead of with a password.

providers.py says which providers exist and whom each serves; oidc.py speaks the
protocol (authorization code flow with PKCE, ID token checks); accounts.py turns a
checked ID token into a person; routes.py ties them to the sign-in pages.
"""

from flask import Blueprint

bp = Blueprint("sso", __name__)

from . import routes as routes  # noqa: E402
