"""Hostile and careless files through the import page and the command line: each gives a
clear message and saves nothing, or imports safely; never a server error, and never text
a bank may not hold (raw HTML, control characters) in a saved draft. And what a new author
does next: write the placeholders and publish."""

from __future__ import annotations

import io
import random
import re
import string
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from quizapp.banks import dump_bank, load_bank_file, load_bank_text
from quizapp.extensions import db
from quizapp.interchange import MAX_QUESTIONS
from quizapp.interchange.files import EXPORT_FORMATS, MAX_OPTIONS, read_file
from quizapp.markdown import render_markdown
from quizapp.models import Bank, BankVersion

from .test_author_banks import audit_events, count, page_text
from .test_interchange_pages import author, drafts, post_file  # noqa: F401 (author: a fixture)

#: Every test is signed in as an author (the attacker, or an author sent a hostile file).
pytestmark = pytest.mark.usefixtures("author")


def moodle(
    prompt: str,
    *,
    text_format: str = "html",
    feedback: str = "Because.",
    options: tuple[str, str] = ("Yes", "No"),
) -> bytes:
    """A Moodle XML file with one single-choice question, texts in `text_format`."""
    answers = "".join(
        f'<answer fraction="{grade}" format="{text_format}"><text><![CDATA[{text}]]></text>'
        f'<feedback format="{text_format}"><text>Why.</text></feedback></answer>'
        for text, grade in zip(options, (100, 0), strict=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice">'
        "<name><text>Hostile</text></name>"
        f'<questiontext format="{text_format}"><text><![CDATA[{prompt}]]></text></questiontext>'
        f'<generalfeedback format="{text_format}"><text><![CDATA[{feedback}]]></text>'
        f"</generalfeedback><single>true</single>{answers}</question></quiz>"
    ).encode()


QTI_ITEM = (
    '<?xml version="1.0"?><assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p2"'
    ' identifier="deep" title="t" adaptive="false" timeDependent="false">'
    '<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
    "<correctResponse><value>A</value></correctResponse></responseDeclaration>"
    "<itemBody><p>{prompt}</p>"
    '<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1" shuffle="true">'
    '<simpleChoice identifier="A">yes</simpleChoice><simpleChoice identifier="B">no</simpleChoice>'
    "</choiceInteraction></itemBody></assessmentItem>"
)


def qti_package(hrefs: list[str], files: dict[str, str]) -> bytes:
    resources = "".join(
        f'<resource identifier="r{n}" type="imsqti_item_xmlv2p2" href="{href}">'
        f'<file href="{href}"/></resource>'
        for n, href in enumerate(hrefs)
    )
    manifest = (
        '<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"'
        f' identifier="m"><resources>{resources}</resources></manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("imsmanifest.xml", manifest)
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def refused(response, *messages: str) -> None:
    """A 422 page naming every message, and nothing saved."""
    page = page_text(response)
    assert response.status_code == 422, page
    assert "govuk-error-summary" in page
    for message in messages:
        assert message in page
    assert count(Bank) == 0
    assert count(BankVersion) == 0


@pytest.mark.parametrize(
    ("data", "filename", "found"),
    [
        (
            moodle("Who? <script>alert(1)</script>", text_format="markdown"),
            "quiz.xml",
            "Question 1 (hostile), question text: raw HTML is not allowed (found '<script>')",
        ),
        (
            moodle("Who?", text_format="markdown", feedback='<a href="x" onclick="y">z</a>'),
            "quiz.xml",
            "Question 1 (hostile), feedback: raw HTML is not allowed (found '<a href=",
        ),
        (
            b"::q::[markdown]Who <img src=x onerror=alert(1)>?{=yes#ok ~no#bad####Why.}",
            "quiz.gift",
            "Question 1 (q), question text: raw HTML is not allowed (found '<img src=x",
        ),
    ],
)
def test_html_inside_markdown_or_plain_text_is_a_problem_and_nothing_is_saved(
    client, data, filename, found
):
    """Moodle's Markdown and plain text are taken as written, and a bank holds no raw HTML:
    the author is told where, and what to do, instead of getting a draft that can't be
    published (or, before this check, a draft holding the HTML)."""
    refused(post_file(client, data, filename), found, "save the text as HTML")


def test_the_command_line_refuses_html_inside_markdown_too(app, tmp_path):
    path = tmp_path / "quiz.xml"
    path.write_bytes(moodle("<iframe src=x></iframe>", text_format="markdown"))
    out = tmp_path / "draft.yaml"
    for extra in ([], ["--out", str(out)]):
        result = app.test_cli_runner().invoke(args=["banks", "import-moodle", str(path), *extra])
        assert result.exit_code == 1
        assert "raw HTML is not allowed (found '<iframe src=x>')" in result.output
        assert "nothing imported" in result.output
    assert not out.exists()
    assert count(Bank) == 0


def test_a_gift_comment_with_ids_a_bank_cant_hold_is_a_problem(client):
    data = (
        b"// quizapp: id=../../etc tags=<b>,finding-" + b"a" * 120 + b" points=999\n"
        b"::q::Who?{=yes#ok ~no#bad####Why.}"
    )
    refused(
        post_file(client, data, "quiz.gift"),
        "Question 1 (../../etc), id:",
        "Question 1 (../../etc), points:",
    )


def test_hostile_html_is_sanitised_out_of_every_field(client):
    prompt = (
        '<p>Who?<script>alert(1)</script><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)">j</a> <a href="data:text/html,hi">d</a>'
        '<iframe src="https://evil.example"></iframe><b style="color:red">bold</b></p>'
    )
    response = post_file(client, moodle(prompt, feedback=prompt), "quiz.xml")
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    (question,) = draft.content["questions"]
    for text in (question["prompt"], question["feedback"]):
        assert text == "Who?j d**bold**"
    stored = str(draft.content)
    for hostile in ("<", "script", "alert", "onerror", "javascript", "data:", "iframe", "style"):
        assert hostile not in stored


def test_hidden_characters_in_gift_are_removed_and_reported(client):
    data = b"::q::Who\x00 is\x1b it?{=yes\x07#ok ~no#bad####Why.}"
    response = post_file(client, data, "quiz.gift")
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    (question,) = draft.content["questions"]
    assert question["prompt"] == "Who is it?"
    assert question["options"][0]["text"] == "yes"
    page = page_text(client.get(response.location))
    assert "3 hidden characters" in page


def deep_html(tag: str) -> str:
    return f"<{tag}>" * 20_000 + "x" + f"</{tag}>" * 20_000


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        # Allowed tags used to overflow the converter's stack (a server error); others kept
        # the sanitiser busy for minutes.
        (moodle(deep_html("b")), "quiz.xml"),
        (moodle(deep_html("div")), "quiz.xml"),
        (moodle("Who?", options=(deep_html("span"), "No")), "quiz.xml"),
        (f"::q::[html]{deep_html('em')}{{=yes ~no}}".encode(), "quiz.gift"),
        (QTI_ITEM.format(prompt=deep_html("span")).encode(), "item.xml"),
    ],
)
def test_deeply_nested_html_is_a_clear_problem_found_quickly(client, data, filename):
    started = time.monotonic()
    response = post_file(client, data, filename)
    assert time.monotonic() - started < 10
    refused(response, "nested more than 100 levels deep")


def test_a_qti_package_naming_files_outside_it_or_missing_saves_nothing(client):
    item = QTI_ITEM.format(prompt="Who?")
    data = qti_package(
        ["../../etc/passwd", "/etc/passwd", "items/missing.xml", "items/a.xml"],
        {"items/a.xml": item},
    )
    refused(
        post_file(client, data, "package.zip"),
        "../../etc/passwd is not in the package",
        "/etc/passwd is not in the package",
        "items/missing.xml is not in the package",
    )


def test_a_bom_and_crlf_line_endings_read_as_plain_lines(client):
    data = b"\xef\xbb\xbf::q::Who\r\nis it?{\r\n=yes#ok\r\n~no#bad\r\n####Why.\r\n}\r\n"
    response = post_file(client, data, "quiz.gift")
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    (question,) = draft.content["questions"]
    assert question["id"] == "q"
    assert question["prompt"] == "Who\nis it?"
    assert [option["text"] for option in question["options"]] == ["yes", "no"]
    assert "\r" not in str(draft.content)


# A new author: the imported draft, its placeholders written, publishes. ----------------

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures" / "moodle"
HS_BANK = Path(__file__).resolve().parents[1] / "question_banks" / "hs-baby-2016.yaml"
_PLACEHOLDER = re.compile(r"\[TO DO:[^\]]*\]")


def written(value: Any) -> Any:
    """The draft's content with every placeholder written, as an author would."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub("Written by the author.", value)
    if isinstance(value, dict):
        return {key: written(item) for key, item in value.items()}
    if isinstance(value, list):
        return [written(item) for item in value]
    return value


def upload_replacing_draft(client, content: dict[str, Any]):
    form = MultiDict(
        {
            "file": FileStorage(io.BytesIO(dump_bank(content).encode()), filename="b.yaml"),
            "replace_draft": "y",
        }
    )
    boundary, body = encode_multipart(form)
    return client.post(
        "/author/upload", data=body, content_type=f"multipart/form-data; boundary={boundary}"
    )


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "xml" / "nested_categories_with_questions.xml",
        FIXTURES / "gift" / "questions.gift.txt",
    ],
)
def test_an_imported_draft_publishes_once_its_placeholders_are_written(client, path):
    response = post_file(client, path.read_bytes(), path.name)
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    key = draft.bank.key
    refused_now = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "First"})
    assert refused_now.status_code == 422
    assert "replace the placeholder text" in page_text(refused_now)

    replaced = upload_replacing_draft(client, written(draft.content))
    assert replaced.status_code == 302, page_text(replaced)
    published = client.post(f"/author/banks/{key}/draft/publish", data={"change_note": "First"})

    assert published.status_code == 302, page_text(published)
    version = db.session.scalar(sa.select(BankVersion).where(BankVersion.status == "published"))
    assert version is not None and version.bank.key == key
    assert len(version.questions) == len(draft.content["questions"])


@pytest.mark.parametrize(
    ("question", "filename"),
    [
        ("::q{n}::Question {n}?{{=yes#ok ~no#bad####Why.}}", "many.gift"),
        ("Only words, a description {n}", "descriptions.gift"),  # each one skipped
    ],
)
def test_a_file_with_more_questions_than_a_bank_holds_is_refused_quickly(
    client, question, filename
):
    """Reading stops after MAX_QUESTIONS: a 2 MB file of tiny questions once took minutes."""
    data = "\n\n".join(question.format(n=n) for n in range(100_000)).encode()
    started = time.monotonic()
    response = post_file(client, data, filename)
    assert time.monotonic() - started < 10
    refused(
        response,
        f"The file: it has more than {MAX_QUESTIONS:,} questions; a bank holds at most"
        f" {MAX_QUESTIONS:,}",
    )


def test_tags_written_as_text_in_html_stay_text(client):
    """HTML showing a tag as text (`&lt;b&gt;`) must not become a tag in the bank: it
    imports, and the practitioner sees what Moodle showed."""
    response = post_file(client, moodle("Is &lt;script&gt;x&lt;/script&gt; &lt;5?"), "q.xml")
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    (question,) = draft.content["questions"]
    assert question["prompt"] == "Is &lt;script>x&lt;/script> <5?"
    assert render_markdown(question["prompt"]) == (
        '<p class="govuk-body">Is &lt;script&gt;x&lt;/script&gt; &lt;5?</p>\n'
    )


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (moodle("Who <b>is</b> it?", text_format="plain_text"), "quiz.xml"),
        (b"::hostile::[plain]Who <b>is</b> it?{=Yes#Why. ~No#Why.####Because.}", "quiz.gift"),
    ],
)
def test_tags_in_plain_text_show_as_written(client, data, filename):
    response = post_file(client, data, filename)
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    (question,) = draft.content["questions"]
    assert question["prompt"] == "Who &lt;b>is&lt;/b> it?"
    assert render_markdown(question["prompt"]) == (
        '<p class="govuk-body">Who &lt;b&gt;is&lt;/b&gt; it?</p>\n'
    )


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"::" + b"n" * 5000 + b"::Who?{=yes ~no", "quiz.gift"),
        (moodle("").replace(b"Hostile", b"n" * 5000), "quiz.xml"),
    ],
)
def test_a_very_long_name_is_shortened_in_the_summary(client, data, filename):
    response = post_file(client, data, filename)
    page = page_text(response)
    assert response.status_code == 422
    assert "n" * 77 + "...: " in page
    assert "n" * 78 not in page


@pytest.mark.parametrize(
    "data",
    [
        moodle("Who?").replace(b"Who?", b"Qui \xe9tait-ce ?"),  # Latin-1, declared UTF-8
        moodle("Who?").replace(b"Who?", b"Who\x00?"),
        moodle("Who?")[:-20],
    ],
)
def test_an_unreadable_moodle_file_says_what_may_be_wrong(client, data):
    refused(
        post_file(client, data, "quiz.xml"),
        "quiz.xml: not a readable XML file: it may be damaged, cut short, or not saved as UTF-8",
    )


def test_a_question_with_thousands_of_options_is_refused(client):
    options = " ".join(f"~no {n}#bad" for n in range(10_000))
    data = f"::many::Which?{{=yes#ok {options}####Why.}}".encode()
    refused(
        post_file(client, data, "many.gift"),
        f"Question 1 (many): it has 10,001 options; an imported question may have at most"
        f" {MAX_OPTIONS}",
    )


def test_links_in_imported_markdown_can_only_go_to_the_web(client):
    """Markdown is taken as written; what it links to is the renderer's to refuse."""
    prompt = (
        "[a](javascript:alert(1)) [b](JaVaScRiPt:x) [c](data:text/html,x)"
        " ![d](data:image/png;base64,AA)"
    )
    response = post_file(client, moodle(prompt, text_format="markdown"), "q.xml")
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    shown = render_markdown(draft.content["questions"][0]["prompt"])
    assert "href" not in shown and "<img" not in shown and "src=" not in shown


@pytest.mark.parametrize("fmt", sorted(EXPORT_FORMATS))
def test_control_characters_a_bank_let_through_are_left_out_of_exports(fmt):
    """A vertical tab pasted into a bank file once made the QTI export a server error
    and the Moodle XML export a file no XML reader (Moodle's included) could open."""
    content = load_bank_file(HS_BANK).bank.to_data()
    first = content["questions"][0]
    first["prompt"] = "Before\x0b after\x1b, kept?"
    loaded = load_bank_text(dump_bank(content), "hs.yaml")
    assert not loaded.errors and loaded.bank is not None

    exported = EXPORT_FORMATS[fmt].write(loaded.bank.to_data())

    report = read_file(exported.data, "exported")
    assert not report.problems
    back = next(q for q in report.questions if q["id"] == first["id"])
    assert back["prompt"] == "Before after, kept?"


def test_a_manifest_naming_thousands_of_missing_files_is_cut_short(client):
    data = qti_package([f"items/missing-{n}.xml" for n in range(5_000)], {})
    response = post_file(client, data, "package.zip")
    refused(response, f"The file: it has more than {MAX_QUESTIONS:,} questions")
    assert "items/missing-1000.xml is not in the package" in page_text(response)
    assert "items/missing-1001.xml" not in page_text(response)


@pytest.mark.parametrize(
    ("data", "texts"),
    [
        (
            b"::q::Who?{=<b>Yes</b>#Ok. ~<script>x</script>No &amp; never#Bad.####Why.}",
            ["Yes", "No & never"],
        ),
        (b"::q::[plain]Who?{=<b>Yes</b>#Ok. ~No#Bad.####Why.}", ["<b>Yes</b>", "No"]),
    ],
)
def test_gift_answers_are_plain_text(client, data, texts):
    """An option's text is plain text: HTML answers lose their markup (not Markdown's
    asterisks, which would show as written), plain ones keep what they say."""
    response = post_file(client, data, "quiz.gift")
    assert response.status_code == 302, page_text(response)
    (draft,) = drafts()
    assert [o["text"] for o in draft.content["questions"][0]["options"]] == texts


@pytest.mark.parametrize(
    ("data", "filename", "names"),
    [
        (
            moodle('<p>Look <img src="https://example.org/chart.png" alt="chart"></p>'),
            "quiz.xml",
            "chart.png",
        ),
        (
            b'::q::[html]Look <img src="data:image/png;base64,AAAA">{=yes#ok ~no#bad####Why.}',
            "quiz.gift",
            "a picture inside the text",
        ),
        (
            QTI_ITEM.format(
                prompt='Look <img src="media/chart.png"/> <object data="v.mp4"/>'
            ).encode(),
            "item.xml",
            "chart.png, v.mp4",
        ),
    ],
)
def test_pictures_left_out_of_any_format_are_in_the_summary(client, data, filename, names):
    """Sanitising removes pictures; nothing may be dropped without a line saying so."""
    response = post_file(client, data, filename)
    assert response.status_code == 302, page_text(response)
    page = page_text(client.get(response.location))
    assert f"pictures and other files are not imported ({names}): add what the" in page


def test_the_command_line_never_says_imported_when_nothing_was(app, tmp_path):
    path = tmp_path / "quiz.gift"
    path.write_bytes(b"::q::Who?{=yes#ok ~yes#bad####Why.}")
    result = app.test_cli_runner().invoke(args=["banks", "import-moodle", str(path)])
    assert result.exit_code == 1
    assert "1 imported" not in result.output
    assert f"{path}: nothing imported from GIFT: every problem must be fixed first" in result.output
    assert f"{path}: error in Question 1 (q), option 2, text: repeats option 1" in result.output
    assert count(Bank) == 0


def test_a_very_long_file_name_is_shortened_before_it_reaches_the_session(client):
    name = "".join(random.Random(19).choices(string.ascii_letters, k=5000))
    response = post_file(client, moodle("Who?"), name + ".xml")
    assert response.status_code == 302, page_text(response)
    assert len(response.headers.get("Set-Cookie", "")) < 4000
    (created,) = [e for e in audit_events() if e.action == "bank.create"]
    assert created.details["file"] == name[:77] + "..."


def test_a_bank_file_with_a_very_long_name_is_named_shortly(client):
    from .factories import small_bank
    from .test_author_banks import upload

    response = upload(client, small_bank(), filename="x" * 3000 + ".yaml")
    assert response.status_code == 302
    assert len(response.headers.get("Set-Cookie", "")) < 4096
    page = client.get(response.location).get_data(as_text=True)
    assert "x" * 3000 not in page
    assert "is now the draft of" in page
