"""The question editor: option rows without JavaScript, question ids, duplicating a
question, changing its type and tags."""

from __future__ import annotations

import re

from .test_author_drafts import _draft, _question_form, _questions, _small_draft


def _option_texts(page: str) -> list[str]:
    return re.findall(r'name="options-\d+-text" type="text" value="([^"]*)"', page)


def test_option_buttons_keep_what_was_typed_and_save_nothing(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    url = f"/author/banks/{key}/draft/questions/q-multiple"
    page = client.get(url).get_data(as_text=True)
    assert 'value="remove-option-2"' in page
    assert 'Remove<span class="govuk-visually-hidden"> option 2</span>' in page
    assert 'value="up-option-1"' not in page  # the first option can't go up
    assert 'value="add-option"' in page

    typed = {
        **_question_form(before["questions"][1]),
        "prompt": "Which signs may mean a risk?",
        "options-0-text": "Missed health appointments",
    }
    response = client.post(url, data={**typed, "action": "add-option"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(_option_texts(page)) == 7  # six rows, and one more
    assert "Which signs may mean a risk?" in page
    assert _option_texts(page)[:3] == [
        "Missed health appointments",
        "Unexplained bruise",
        "A tidy house",
    ]
    assert _draft().content == before

    response = client.post(url, data={**typed, "action": "down-option-1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert _option_texts(page)[:3] == [
        "Unexplained bruise",
        "Missed health appointments",
        "A tidy house",
    ]
    # The right-answer ticks and feedback move with their option.
    assert 'name="options-1-correct" type="checkbox" value="y" checked' in page
    assert "A pattern of missed appointments needs exploring." in page
    assert _draft().content == before

    response = client.post(url, data={**typed, "action": "remove-option-2"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _option_texts(page)[:2] == ["Missed health appointments", "A tidy house"]
    assert "Any bruise on a non-mobile baby" not in page
    assert _draft().content == before

    # Moving the rows as shown, then saving, saves that order.
    moved = {
        **typed,
        "options-0-text": "A tidy house",
        "options-0-feedback": "A tidy house tells you little about care.",
        "options-2-text": "Missed health appointments",
        "options-2-feedback": "A pattern of missed appointments needs exploring.",
        "options-2-correct": "y",
    }
    del moved["options-0-correct"]
    assert client.post(url, data=moved).status_code == 302
    saved = _questions()["q-multiple"]
    assert [o["text"] for o in saved["options"]] == [
        "A tidy house",
        "Unexplained bruise",
        "Missed health appointments",
    ]
    assert [o["correct"] for o in saved["options"]] == [False, True, True]


def test_an_unknown_option_button_is_refused(app, client, auth):
    key = _small_draft(client, auth)
    question = _draft().content["questions"][1]
    url = f"/author/banks/{key}/draft/questions/q-multiple"
    for action in ("remove-option-99", "remove-option-0", "explode"):
        response = client.post(url, data={**_question_form(question), "action": action})
        assert response.status_code == 400, action


def test_options_stop_at_the_most_a_question_takes(app, client, auth):
    from quizapp.author.draft_forms import MAX_OPTIONS

    key = _small_draft(client, auth)
    question = _draft().content["questions"][1]
    url = f"/author/banks/{key}/draft/questions/q-multiple"
    data = {**_question_form(question), "action": "add-option"}
    for index in range(3, MAX_OPTIONS):
        data[f"options-{index}-text"] = ""
    response = client.post(url, data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f"A question can have at most {MAX_OPTIONS} options" in page
    assert len(_option_texts(page)) == MAX_OPTIONS
    assert 'value="add-option"' not in page
