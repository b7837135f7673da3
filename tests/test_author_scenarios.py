"""Authors see a branching scenario's graph (a picture and an equivalent list) and edit
its nodes in the browser as YAML, checked by the bank's own validator."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import sqlalchemy as sa
import yaml

from quizapp.author.draft_forms import scenario_yaml
from quizapp.authoring.scenario_diagram import diagram_svg, outline_html
from quizapp.extensions import db
from quizapp.models import BankVersion, Role

from .factories import create_user, import_bank_text

BANK = Path(__file__).parent / "unit" / "banks" / "scenario.yaml"


def _spec() -> dict:
    return yaml.safe_load(BANK.read_text())["questions"][0]


def _alternatives(spec: dict) -> list[tuple[str, dict]]:
    return [
        (node["id"], alt)
        for node in spec["nodes"]
        if node["kind"] == "decision"
        for alt in node["alternatives"]
    ]


# The picture and the list ------------------------------------------------------------


def test_the_picture_has_every_node_and_an_edge_per_alternative():
    spec = _spec()
    svg = str(diagram_svg(spec, prefix="t"))
    assert svg.startswith("<svg") and 'role="img"' in svg
    for node in spec["nodes"]:
        assert f'data-node="{node["id"]}"' in svg
    edges = re.findall(
        r'<g class="edge" data-from="([^"]*)" data-to="([^"]*)" data-label="([^"]*)"', svg
    )
    for decision, alt in _alternatives(spec):
        assert (decision, alt["next"], alt["id"]) in edges
    # stories' next and the ending's otherwise are drawn too: 5 alternatives, 2 nexts, 1 otherwise
    assert len(edges) == 5 + 2 + 1
    conditional = re.findall(
        r'data-label="(\w[\w-]*)"><title>[^<]*</title><path [^>]*stroke-dasharray', svg
    )
    assert sorted(conditional) == ["challenge", "otherwise"]


def test_text_from_the_bank_is_escaped_in_the_picture_and_the_list():
    spec = _spec()
    spec["nodes"][1]["text"] = "What now? <script>alert(1)</script>"
    spec["nodes"][1]["alternatives"][0]["text"] = 'Say "nothing" <b>now</b>'
    spec["nodes"][0]["id"] = 'x"><script>y</script>'
    spec["start"] = spec["nodes"][0]["id"]
    for markup in (str(diagram_svg(spec)), str(outline_html(spec))):
        assert "<script>" not in markup and "<b>" not in markup
    outline = str(outline_html(spec))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in outline
    assert "&lt;b&gt;now&lt;/b&gt;" in outline


def test_the_list_says_everything_the_picture_does_and_loops_end():
    spec = _spec()
    outline = str(outline_html(spec, prefix="t"))
    for node in spec["nodes"]:
        # each node listed in full exactly once, with an anchor to link to
        assert outline.count(f'id="t-node-{node["id"]}"') == 1
    for _decision, alt in _alternatives(spec):
        assert f"<code>{alt['id']}</code>: \u201c{alt['text']}\u201d" in outline
    assert "3 points; offered only if \u201cask-gp\u201d was chosen at chair-proposes" in outline
    assert "0 points; findings: differences-unresolved" in outline
    # gp-reply leads back to the decision: a link, not the decision again
    assert '<a class="govuk-link" href="#t-node-chair-proposes">chair-proposes</a>' in outline
    assert "Only if \u201csay-nothing\u201d was not chosen at chair-proposes" in outline
    assert "Outcome: the child is protected" in outline
    assert "Outcome: the risk is missed" in outline
    assert outline.index("before-conference") < outline.index("chair-proposes")


def test_an_unreachable_node_and_an_unknown_target_are_shown_not_crashed_on():
    spec = _spec()
    spec["nodes"].append({"id": "lost", "kind": "ending", "title": "Lost", "outcome": "protected"})
    spec["nodes"][0]["next"] = "nowhere"
    outline = str(outline_html(spec))
    assert "Not reachable from the start" in outline and "lost" in outline
    assert "<strong>nowhere</strong> (no node has this id)" in outline
    assert 'data-node="lost"' in str(diagram_svg(spec))


# Pages -------------------------------------------------------------------------------


def _scenario_draft(client, auth) -> str:
    key = import_bank_text(BANK.read_text()).bank.key
    create_user(email="author@example.org", roles=(Role.AUTHOR,))
    auth.sign_in("author@example.org")
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 302
    return key


def _draft() -> BankVersion:
    db.session.expire_all()
    return db.session.scalars(sa.select(BankVersion).where(BankVersion.status == "draft")).one()


def test_draft_version_and_question_pages_show_the_graph(app, client, auth):
    key = _scenario_draft(client, auth)
    for url in (
        f"/author/banks/{key}/draft",
        f"/author/banks/{key}/versions/1",
        f"/author/banks/{key}/draft/questions/conference-challenge",
    ):
        page = client.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        assert "Paths through the scenario" in html, url
        assert 'data-node="baby-protected"' in html, url
        assert "Choice <code>escalate-now</code>" in html, url
    question = client.get(f"/author/banks/{key}/draft/questions/conference-challenge")
    assert "Nodes (YAML)" in question.get_data(as_text=True)
    assert "start: before-conference" in question.get_data(as_text=True)


def _question_post(question: dict, nodes_yaml: str) -> dict:
    return {
        "stage": question["stage"],
        "findings": question.get("findings", []),
        "prompt": question["prompt"],
        "feedback": question.get("feedback", ""),
        "points": str(question.get("points", "")),
        "nodes": nodes_yaml,
    }


def test_saving_unchanged_keeps_the_question_and_an_edit_is_saved(app, client, auth):
    key = _scenario_draft(client, auth)
    before = copy.deepcopy(_draft().content)
    question = before["questions"][0]
    url = f"/author/banks/{key}/draft/questions/conference-challenge"
    assert (
        client.post(url, data=_question_post(question, scenario_yaml(question))).status_code == 302
    )
    assert _draft().content == before  # a save of the box as shown changes nothing

    edited = copy.deepcopy(question)
    edited["nodes"][1]["alternatives"][0]["text"] = "Keep quiet"
    edited["nodes"][6]["title"] = "The baby is safe"
    assert client.post(url, data=_question_post(question, scenario_yaml(edited))).status_code == 302
    saved = _draft().content["questions"][0]
    assert saved["nodes"][1]["alternatives"][0]["text"] == "Keep quiet"
    assert saved["nodes"][6]["title"] == "The baby is safe"
    assert saved["start"] == "before-conference"


def test_an_unknown_next_is_refused_with_its_place_and_nothing_saved(app, client, auth):
    key = _scenario_draft(client, auth)
    before = copy.deepcopy(_draft().content)
    question = before["questions"][0]
    broken = copy.deepcopy(question)
    broken["nodes"][1]["alternatives"][1]["next"] = "no-such-node"
    url = f"/author/banks/{key}/draft/questions/conference-challenge"
    response = client.post(url, data=_question_post(question, scenario_yaml(broken)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "govuk-error-summary" in html
    assert "Node 2 (chair-proposes), alternative 2, next node (line " in html
    assert "unknown node &#39;no-such-node&#39;" in html
    assert _draft().content == before


def test_yaml_that_cannot_be_read_is_refused_with_its_line(app, client, auth):
    key = _scenario_draft(client, auth)
    before = copy.deepcopy(_draft().content)
    question = before["questions"][0]
    url = f"/author/banks/{key}/draft/questions/conference-challenge"
    response = client.post(url, data=_question_post(question, "start: a\nnodes: [\n  - x: :"))
    assert response.status_code == 422
    assert "Line " in response.get_data(as_text=True)
    assert "of the nodes: YAML syntax error" in response.get_data(as_text=True)
    response = client.post(url, data=_question_post(question, "start: a\nprompt: b\nnodes: []"))
    assert response.status_code == 422
    assert "Only start and nodes go in this box" in response.get_data(as_text=True)
    assert _draft().content == before


def test_a_new_scenario_starts_from_a_small_graph_that_saves(app, client, auth):
    key = _scenario_draft(client, auth)
    page = client.get(f"/author/banks/{key}/draft/questions/new/scenario")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "start: first-decision" in html and "concern-missed" in html
    starter = re.search(r'<textarea[^>]*name="nodes"[^>]*>\n?(.*?)</textarea>', html, re.S)
    assert starter is not None
    nodes_yaml = starter.group(1).replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    response = client.post(
        f"/author/banks/{key}/draft/questions/new/scenario",
        data={
            "stage": "the-conference",
            "findings": ["escalation"],
            "prompt": "A new scene.",
            "feedback": "General points.",
            "points": "4",
            "nodes": nodes_yaml,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    added = _draft().content["questions"][-1]
    assert added["id"] == "q-a-new-scene" and added["type"] == "scenario"
    assert [n["id"] for n in added["nodes"]] == [
        "first-decision",
        "concern-acted-on",
        "concern-missed",
    ]
