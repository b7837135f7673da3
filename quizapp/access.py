"""Who may use each route, declared on the view itself.

Every endpoint must declare its access with `public` or `roles_required`; a request to
an endpoint that declares nothing is refused (fail closed), and a test checks that every
rule in the URL map declares one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, request
from flask_login import current_user

from .models import Role

F = TypeVar("F", bound=Callable[..., Any])

#: Endpoints served by Flask itself.
BUILTIN_PUBLIC = frozenset({"static"})


def public(view: F) -> F:
    """Anyone, signed in or not."""
    view.access = "public"  # type: ignore[attr-defined]
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in users holding at least one of `roles`; anyone signed in when none given."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if roles and not (current_user.roles & set(roles)):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = frozenset(roles) or "signed-in"  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorate


def access_of(endpoint: str) -> Any:
    if endpoint in BUILTIN_PUBLIC:
        return "public"
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def refuse_undeclared_routes() -> None:
    """before_request hook: an endpoint without a declaration is a bug, so refuse it."""
    if request.endpoint is None:
        return  # 404 or 405 follow
    if access_of(request.endpoint) is None:
        current_app.logger.error("endpoint %s declares no access rule", request.endpoint)
        abort(403)
