"""The question editor: option rows without JavaScript, question ids, duplicating a
question, changing its type and tags."""

from __future__ import annotations

import re

from quizapp.extensions import db

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


def _unpublished_draft(client, auth) -> str:
    """A bank made as a draft (as from a briefing) with no version ever published; its key."""
    from quizapp.author import operations
    from quizapp.banks import load_bank_text
    from quizapp.extensions import db
    from quizapp.models import Role, utcnow

    from .factories import create_user, small_bank

    user = create_user(email="author@example.org", roles=(Role.AUTHOR,))
    data = load_bank_text(small_bank(), "small.yaml").bank.to_data()
    draft = operations.create_bank_from_draft(data, user=user, now=utcnow())
    db.session.commit()
    auth.sign_in("author@example.org")
    return draft.bank.key


def test_question_ids_come_from_the_first_words_at_a_word_boundary():
    from quizapp.authoring.editing import question_id

    prompt = "A strategy discussion can include the police and health."
    assert question_id(prompt, []) == "q-a-strategy-discussion-can-include"
    assert question_id(prompt, ["q-a-strategy-discussion-can-include"]) == (
        "q-a-strategy-discussion-can-include-2"
    )
    # Never a half word: a word that would pass 40 characters is left out.
    long = "Safeguarding partnerships' multiagency arrangements reconsidered"
    assert question_id(long, []) == "q-safeguarding-partnerships-multiagency"
    assert question_id("Who tells children\u2019s social care?", []) == (
        "q-who-tells-childrens-social-care"
    )
    assert len(question_id("Notwithstanding " * 8, [])) <= 40
    assert question_id("**Who** should act?", []) == "q-who-should-act"
    assert question_id("", ["q-item"]) == "q-item-2"


def test_a_new_question_gets_a_short_id(app, client, auth):
    key = _small_draft(client, auth)
    response = client.post(
        f"/author/banks/{key}/draft/questions/new/true_false",
        data={
            "stage": "first",
            "findings": ["sharing"],
            "prompt": "A strategy discussion can include the police and health.",
            "feedback": "It usually does.",
            "answer": "true",
            "feedback_true": "Right.",
            "feedback_false": "The police usually take part.",
            "question_id": "q-typed-but-ignored",  # the bank has a published version
        },
    )
    assert response.status_code == 302
    assert _draft().content["questions"][-1]["id"] == "q-a-strategy-discussion-can-include"


def test_question_ids_are_editable_until_the_first_version_is_published(app, client, auth):
    key = _unpublished_draft(client, auth)
    before = _draft().content
    single = before["questions"][0]
    url = f"/author/banks/{key}/draft/questions/q-single"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'name="question_id" type="text"[^>]* value="q-single"', page)

    for typed, message in [
        ("Q Single!", "only lower-case letters, numbers and single hyphens"),
        ("q-multiple", "Another question already has the id q-multiple"),
        ("new", "The question id can\u2019t be \u201cnew\u201d"),
    ]:
        response = client.post(url, data={**_question_form(single), "question_id": typed})
        assert response.status_code == 422, typed
        page = response.get_data(as_text=True)
        assert "govuk-error-summary" in page and message.replace("\u2019", "&#39;") in page
        assert _draft().content == before

    response = client.post(url, data={**_question_form(single), "question_id": "q-who-to-tell"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#question-q-who-to-tell")
    questions = _draft().content["questions"]
    assert [q["id"] for q in questions][:2] == ["q-who-to-tell", "q-multiple"]
    assert {**questions[0], "id": "q-single"} == single
    assert client.get(url).status_code == 404


def test_question_ids_are_read_only_once_published(app, client, auth):
    key = _small_draft(client, auth)  # version 1 is published
    single = _draft().content["questions"][0]
    url = f"/author/banks/{key}/draft/questions/q-single"
    page = client.get(url).get_data(as_text=True)
    assert 'name="question_id"' not in page
    assert "<code>q-single</code>" in page
    assert "statistics follow a question from one version to the next by its id" in page
    data = {**_question_form(single), "question_id": "q-renamed", "prompt": "Who do you tell?"}
    assert client.post(url, data=data).status_code == 302
    questions = _questions()
    assert "q-renamed" not in questions
    assert questions["q-single"]["prompt"] == "Who do you tell?"


def test_duplicate_a_question(app, client, auth):
    import sqlalchemy as sa

    from quizapp.extensions import db
    from quizapp.models import AuditEvent

    key = _small_draft(client, auth)
    before = _draft().content
    page = client.get(f"/author/banks/{key}/draft/questions/q-multiple").get_data(as_text=True)
    assert f'action="/author/banks/{key}/draft/questions/q-multiple/duplicate"' in page
    assert "Duplicate this question" in page
    response = client.post(f"/author/banks/{key}/draft/questions/q-multiple/duplicate")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/author/banks/{key}/draft/questions/q-multiple-2"
    )
    questions = _draft().content["questions"]
    assert [q["id"] for q in questions][:4] == [
        "q-single",
        "q-multiple",
        "q-multiple-2",
        "q-true-false",
    ]
    assert {**questions[2], "id": "q-multiple"} == before["questions"][1]
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "draft.edit" and event.details == {"what": "copied q-multiple"}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Question q-multiple copied as q-multiple-2: you are changing the copy." in page

    # A second copy gets another id; an unknown question is not found.
    client.post(f"/author/banks/{key}/draft/questions/q-multiple/duplicate")
    assert [q["id"] for q in _draft().content["questions"]][1:4] == [
        "q-multiple",
        "q-multiple-3",
        "q-multiple-2",
    ]
    missing = client.post(f"/author/banks/{key}/draft/questions/q-nothing/duplicate")
    assert missing.status_code == 404


def test_change_a_question_type(app, client, auth):
    key = _small_draft(client, auth)
    before = _draft().content
    single, multiple = before["questions"][0], before["questions"][1]
    base = f"/author/banks/{key}/draft/questions"
    page = client.get(f"{base}/q-single").get_data(as_text=True)
    assert f'href="{base}/q-single/type"' in page
    page = client.get(f"{base}/q-single/type").get_data(as_text=True)
    assert 'value="multiple"' in page and 'value="ordering"' not in page
    response = client.post(f"{base}/q-single/type", data={"type": "ordering"})
    assert response.status_code == 422
    response = client.post(f"{base}/q-single/type", data={"type": "multiple"})
    assert response.headers["Location"].endswith(f"{base}/q-single?type=multiple")
    page = client.get(f"{base}/q-single?type=multiple").get_data(as_text=True)
    assert "Changing this question from single choice to multiple choice" in page
    assert _draft().content == before  # nothing saved yet

    # single -> multiple: the options are kept.
    response = client.post(f"{base}/q-single?type=multiple", data=_question_form(single))
    assert response.status_code == 302
    assert _questions()["q-single"] == {**single, "type": "multiple"}

    # multiple -> single with two right options: the validator's error, nothing lost.
    response = client.get(f"{base}/q-multiple?type=single")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and "exactly one option must be correct" in page.lower()
    assert page.count('type="checkbox" value="y" checked') == 2  # both still ticked
    assert _questions()["q-multiple"] == multiple
    response = client.post(f"{base}/q-multiple?type=single", data=_question_form(multiple))
    assert response.status_code == 422
    assert _questions()["q-multiple"] == multiple
    data = _question_form(multiple)
    del data["options-1-correct"]
    assert client.post(f"{base}/q-multiple?type=single", data=data).status_code == 302
    saved = _questions()["q-multiple"]
    assert saved["type"] == "single"
    assert [o["correct"] for o in saved["options"]] == [True, False, False]

    # A type its fields don't carry over to is not offered.
    assert client.get(f"{base}/q-true-false?type=ordering").status_code == 404
    page = client.get(f"{base}/q-ordering/type").get_data(as_text=True)
    assert "can't be changed to another type here" in page


def test_a_true_false_statement_becomes_a_single_choice(app, client, auth):
    from quizapp.authoring.editing import change_type

    key = _small_draft(client, auth)
    statement = _questions()["q-true-false"]
    changed = change_type(statement, "single")
    assert changed["options"] == [
        {"text": "True", "correct": False, "feedback": statement["feedback_true"]},
        {"text": "False", "correct": True, "feedback": statement["feedback_false"]},
    ]
    assert "answer" not in changed and changed["shuffle"] is False
    url = f"/author/banks/{key}/draft/questions/q-true-false?type=single"
    page = client.get(url).get_data(as_text=True)
    assert "govuk-error-summary" not in page
    data = {
        **_question_form({k: v for k, v in changed.items()}),
        "in_order": "y",
    }
    assert client.post(url, data=data).status_code == 302
    saved = _questions()["q-true-false"]
    assert saved == {**changed, "type": "single"}


def test_tags_on_a_question_round_trip_through_export_and_import(app, client, auth):
    from quizapp.banks import content_hash, dump_bank, load_bank_text

    key = _small_draft(client, auth)
    single = _questions()["q-single"]
    url = f"/author/banks/{key}/draft/questions/q-single"
    data = {**_question_form(single), "tags": "Early help, referral,early help, "}
    assert client.post(url, data=data).status_code == 302
    saved = _questions()["q-single"]
    assert saved["tags"] == ["early-help", "referral"]
    assert 'value="early-help, referral"' in client.get(url).get_data(as_text=True)
    overview = client.get(f"/author/banks/{key}/draft").get_data(as_text=True)
    assert "Tags: early-help, referral" in overview

    refused = client.post(url, data={**data, "tags": "early help, ok?"})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert '<a href="#tags">' in page
    assert _questions()["q-single"] == saved

    content = _draft().content
    text = dump_bank(content)
    assert "tags:" in text
    result = load_bank_text(text, "exported.yaml")
    assert not result.errors
    assert result.bank.to_data()["questions"][0]["tags"] == ["early-help", "referral"]
    assert content_hash(result.bank) == content_hash(load_bank_text(dump_bank(content), "x").bank)

    # The file format: tags are short slugs, each once.
    content["questions"][0]["tags"] = ["early-help", "referral", "early-help"]
    errors = load_bank_text(dump_bank(content), "bad.yaml").errors
    assert [e.path for e in errors] == ["questions[0].tags"]
    assert "early-help is repeated" in errors[0].message


def test_saving_a_question_unchanged_changes_nothing(app, client, auth):
    """Browsers send line breaks as CR LF and tick boxes in the bank's finding order:
    before, saving a question as it was rewrote its multi-line fields and reordered its
    findings, so the draft (and a merge with a newer version) showed changes nobody made."""
    key = _small_draft(client, auth)
    draft = _draft()
    content = {**draft.content}
    question = content["questions"][0] = {
        **content["questions"][0],
        "findings": ["sharing", "referral"],  # not the bank's order of findings
        "feedback": "First line of the feedback.\nSecond line.",
    }
    draft.content = content
    db.session.commit()
    form = _question_form(question)
    form["feedback"] = form["feedback"].replace("\n", "\r\n")
    form["findings"] = ["referral", "sharing"]  # as the boxes come
    response = client.post(f"/author/banks/{key}/draft/questions/{question['id']}", data=form)
    assert response.status_code == 302
    saved = _draft().content["questions"][0]
    assert saved["feedback"] == "First line of the feedback.\nSecond line."
    assert saved["findings"] == ["sharing", "referral"]
    assert saved == question


def test_questions_sharing_a_tag_are_offered_first_for_a_new_pool(app, client, auth):
    key = _small_draft(client, auth)
    draft = _draft()
    content = {**draft.content, "questions": [dict(q) for q in draft.content["questions"]]}
    content["questions"][0]["tags"] = ["early-help", "referral"]
    content["questions"][2]["tags"] = ["referral"]
    draft.content = content
    db.session.commit()
    tagged = content["questions"][2]["id"]
    page = client.get(f"/author/banks/{key}/draft/questions/{content['questions'][0]['id']}")
    offered = re.findall(
        r'<option value="([^"]+)"[^>]*>([^<]*)</option>', page.get_data(as_text=True)
    )
    partners = [(value, label) for value, label in offered if value.startswith("q-")]
    assert partners[0][0] == tagged
    assert partners[0][1].endswith("(also tagged referral)")
    assert not any("also tagged" in label for _value, label in partners[1:])
