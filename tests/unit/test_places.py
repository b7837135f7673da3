"""Places in a bank named in an author's words (quizapp.banks.places)."""

from __future__ import annotations

import pytest

from quizapp.banks import plain_error, plain_message, plain_place


@pytest.mark.parametrize(
    ("path", "plain"),
    [
        ("questions[2].options[1].text", "Question 3, option 2, text"),
        ("questions[2]", "Question 3"),
        ("questions[0].prompt", "Question 1, question text"),
        ("questions[0].options[0].correct", "Question 1, option 1, right answer"),
        ("questions[1].items[1]", "Question 2, step 2"),
        ("questions[1].findings[0]", "Question 2, finding 1"),
        ("questions[4].feedback_true", "Question 5, feedback when answered true"),
        ("questions[0].stage", "Question 1, part of the story"),
        ("questions[0].type", "Question 1, question type"),
        ("findings[0].kind", "Finding 1, kind"),
        ("stages[1].narrative", "Part 2 of the story, narrative"),
        ("stages[0]", "Part 1 of the story"),
        ("source.title", "Source, title"),
        ("source.url", "Source, web address"),
        ("check.pass_mark", "Check settings, pass mark"),
        ("title", "Title"),
        ("(file)", "The file"),
        # Keys the editor has no label for are shown as the file writes them.
        ("questions[0].colour", "Question 1, colour"),
        ("questions[1][2]", "Question 2, entry 3"),
        # Paths that can't be read come back as they are.
        ("questions[x]", "questions[x]"),
        ("a..b", "a..b"),
        ("[3]", "[3]"),
        ("questions[0].-odd", "questions[0].-odd"),
        ("", ""),
    ],
)
def test_places_count_from_one_and_use_the_editor_s_words(path: str, plain: str) -> None:
    assert plain_place(path) == plain


def test_the_item_s_id_is_given_when_the_data_has_one() -> None:
    data = {
        "questions": [{"id": "q-first"}, {}, {"id": "q-refer-early"}],
        "stages": [{"id": "arrival"}],
        "findings": "not a list",
    }
    assert plain_place("questions[2].options[1].text", data) == (
        "Question 3 (q-refer-early), option 2, text"
    )
    assert plain_place("questions[1].prompt", data) == "Question 2, question text"
    assert plain_place("questions[9]", data) == "Question 10"
    assert plain_place("stages[0].title", data) == "Part 1 of the story (arrival), title"
    assert plain_place("findings[0]", data) == "Finding 1"


def test_a_place_inside_one_item_is_named_from_that_item() -> None:
    assert plain_place("options[1].text", inside=True) == "Option 2, text"
    assert plain_place("items[0]", inside=True) == "Step 1"
    assert plain_place("findings[0]", inside=True) == "Finding 1"
    assert plain_place("prompt", inside=True) == "Question text"


def test_places_named_in_messages_are_made_plain() -> None:
    message = "every question in pool 'p' must have the same points as questions[0] ('q-a')"
    assert plain_message(message) == (
        "every question in pool 'p' must have the same points as question 1 ('q-a')"
    )
    assert plain_message("duplicate finding id 'f' (as findings[2])") == (
        "duplicate finding id 'f' (as finding 3)"
    )
    assert plain_message("duplicate stage id 's' (as stages[0])") == (
        "duplicate stage id 's' (as part 1 of the story)"
    )
    assert plain_message("repeats options[0].text") == "repeats option 1"
    assert plain_message("repeats items[2]") == "repeats step 3"
    assert plain_message("must be written") == "must be written"


def test_an_error_reads_place_then_message() -> None:
    assert plain_error("questions[2].options[1].text", "enter the option text") == (
        "Question 3, option 2, text: enter the option text"
    )
