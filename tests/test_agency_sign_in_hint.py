"""The agency's sign-in settings page names its providers in plain words (no stray
punctuation around the button texts)."""

from __future__ import annotations

import re

from .test_single_sign_on import admin_client, idp, provider, world  # noqa: F401 (fixtures)


def test_the_hint_lists_the_providers_without_a_stray_quote(admin_client, world):  # noqa: F811
    police = world["police"]
    response = admin_client.get(f"/admin/agencies/{police.id}/sign-in")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.get_data(as_text=True))
    hint = text[text.find("Single sign-on: Sign") :][:160]
    assert "Single sign-on: Sign in with West Midlands Police account. With single" in text, hint
    assert "account&#39;." not in text and "account'." not in text
