"""QTI: bank versions out as QTI 3.0 or 2.2 content packages, and QTI 2.1, 2.2 and 3.0
items in.

Exam systems and item banks speak QTI (1EdTech's Question and Test Interoperability).
One item per question: choices (single, multiple, true or false) become a
`choiceInteraction`, ordering an `orderInteraction`, reflections an
`extendedTextInteraction`. Each item's response processing marks as we do (see
`_scoring`), and its feedback is modal feedback keyed by choice, plus one `GENERAL` key
for the question's feedback, so a QTI player shows what we show.

Our question id is the item's identifier; tags and findings (as `finding-<id>` tags) are
the keywords of the item's resource in the manifest (IEEE LOM, the metadata QTI packages
carry), where any package reader finds them.

QTI 3.0 spells QTI 2's `choiceInteraction` as `qti-choice-interaction` and its
attributes in kebab case; the writer builds QTI 2 names and renames for 3.0, and the
reader renames 3.0 back, so both versions share one mapping.
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeET
from markdown_it import MarkdownIt
from pydantic import ValidationError

from ..authoring.scaffolds import todo
from ..banks.schema import QUESTION_MODELS
from ..questions.base import SLUG_PATTERN
from . import (
    FINDING_TAG,
    MAX_HTML_DEPTH,
    Adjusted,
    Exported,
    ImportReport,
    Problem,
    Skipped,
    TooDeeplyNested,
    html_to_markdown,
    media_note,
    question_id,
    short_name,
    tag_of,
)

#: Item namespaces by version.
ITEM_NAMESPACES = {
    "3.0": "http://www.imsglobal.org/xsd/imsqtiasi_v3p0",
    "2.2": "http://www.imsglobal.org/xsd/imsqti_v2p2",
    "2.1": "http://www.imsglobal.org/xsd/imsqti_v2p1",
}
#: "imsqti_v2p1" -> 2.1, "imsqtiasi_v3p0" -> 3.0.
_NAMESPACE_VERSION = re.compile(r"imsqti\w*_v(\d+)p(\d+)$")
_SCHEMAS = {
    "3.0": "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd",
    "2.2": "http://www.imsglobal.org/xsd/qti/qtiv2p2/imsqti_v2p2.xsd",
}
_MANIFEST_NAMESPACES = {
    "3.0": "http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1",
    "2.2": "http://www.imsglobal.org/xsd/imscp_v1p1",
}
_MANIFEST_SCHEMAS = {
    "3.0": "https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd",
    "2.2": "http://www.imsglobal.org/xsd/qti/qtiv2p2/qtiv2p2_imscpv1p2_v1p0.xsd",
}
_PACKAGE_SCHEMA = {"3.0": ("QTI Package", "3.0.0"), "2.2": ("QTIv2.2 Package", "1.0.0")}
_RESOURCE_TYPES = {"3.0": "imsqti_item_xmlv3p0", "2.2": "imsqti_item_xmlv2p2"}
_TEMPLATES = {
    "3.0": "https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/{}.xml",
    "2.2": "http://www.imsglobal.org/question/qti_v2p2/rptemplates/{}",
}
LOM_NAMESPACE = "http://ltsc.ieee.org/xsd/LOM"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

#: The modal feedback shown after every answer (the question's own feedback); the other
#: feedback keys are choice identifiers.
GENERAL = "GENERAL"
_RESPONSE = "RESPONSE"
#: Our types that have a QTI interaction.
_WRITTEN = frozenset({"single", "multiple", "true_false", "ordering", "reflection"})

#: QTI elements the writer uses (QTI 2 names); every other element is XHTML content.
_QTI_ELEMENTS = frozenset(
    {
        "assessmentItem", "responseDeclaration", "correctResponse", "value", "mapping",
        "mapEntry", "outcomeDeclaration", "defaultValue", "itemBody", "choiceInteraction",
        "simpleChoice", "orderInteraction", "extendedTextInteraction", "responseProcessing",
        "responseCondition", "responseIf", "responseElse", "match", "variable", "correct",
        "setOutcomeValue", "baseValue", "mapResponse", "isNull", "multiple", "ordered",
        "contains", "sum", "product", "divide", "modalFeedback",
    }
)  # fmt: skip

_SLUG = re.compile(SLUG_PATTERN)
_UPPER = re.compile(r"(?<!^)(?=[A-Z])")
_KEBAB = re.compile(r"-([a-z])")


def _markdown_parser() -> MarkdownIt:
    # XHTML output (<br />), so the HTML parses as XML and goes into the item as elements.
    return MarkdownIt("commonmark", {"html": False, "xhtmlOut": True}).enable("table")


_MARKDOWN = _markdown_parser()


# Writing


def _kebab(name: str) -> str:
    return _UPPER.sub("-", name).lower()


def _camel(name: str) -> str:
    return _KEBAB.sub(lambda match: match.group(1).upper(), name)


def _el(name: str, attributes: dict[str, str] | None = None, *children: ET.Element) -> ET.Element:
    element = ET.Element(name, attributes or {})
    element.extend(children)
    return element


def _text(name: str, text: str, attributes: dict[str, str] | None = None) -> ET.Element:
    element = _el(name, attributes)
    element.text = text
    return element


def _base(base_type: str, value: object) -> ET.Element:
    return _text("baseValue", str(value), {"baseType": base_type})


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _markdown_html(markdown: str) -> list[ET.Element]:
    """Our Markdown as XHTML block elements."""
    wrapper = ET.fromstring(f"<div>{_MARKDOWN.render(markdown)}</div>")
    return list(wrapper)


def _plain(markdown: str, limit: int = 200) -> str:
    """A one-line title for an item (QTI requires one) from its prompt."""
    words = " ".join("".join(element.itertext()) for element in _markdown_html(markdown)).split()
    text = " ".join(words)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _identifier(our_id: str) -> str:
    """Our id as an XML NCName: ids may start with a digit, NCNames may not."""
    return our_id if our_id[0].isalpha() else f"_{our_id}"


def _outcome(identifier: str, cardinality: str, base_type: str, default: str | None = None,
             **attributes: str) -> ET.Element:  # fmt: skip
    element = _el(
        "outcomeDeclaration",
        {"identifier": identifier, "cardinality": cardinality, "baseType": base_type, **attributes},
    )
    if default is not None:
        element.append(_el("defaultValue", {}, _text("value", default)))
    return element


def _set(identifier: str, expression: ET.Element) -> ET.Element:
    return _el("setOutcomeValue", {"identifier": identifier}, expression)


def _feedback(identifier: str, markdown: str) -> ET.Element:
    return _el(
        "modalFeedback",
        {"outcomeIdentifier": "FEEDBACK", "identifier": identifier, "showHide": "show"},
        *_markdown_html(markdown),
    )


class _Choice(NamedTuple):
    """A `simpleChoice`: an option, true or false, or an item to put in order."""

    identifier: str
    text: str
    correct: bool
    feedback: str | None = None
    fixed: bool = False


def _choices(question: dict[str, Any]) -> list[_Choice]:
    """A question's choices, identified by place ("choice-1"), or "true" and "false"."""
    if question["type"] == "true_false":
        return [
            _Choice("true", "True", question["answer"], question["feedback_true"]),
            _Choice("false", "False", not question["answer"], question["feedback_false"]),
        ]
    if question["type"] == "ordering":
        return [
            _Choice(f"choice-{n}", text, True) for n, text in enumerate(question["items"], start=1)
        ]
    return [
        _Choice(f"choice-{n}", o["text"], o["correct"], o["feedback"], bool(o.get("fixed")))
        for n, o in enumerate(question["options"], start=1)
    ]


def _scoring(question: dict[str, Any], version: str) -> tuple[list[ET.Element], ET.Element]:
    """Declarations and response processing that mark the item as we do.

    Single choice and true or false: all or nothing, QTI's `match_correct` (scaled to the
    points). Multiple choice: each right option +1/k, each wrong one -1/m, floored at 0:
    exactly a `mapping` with bounds, QTI's `map_response`. Ordering: a share of the
    neighbouring pairs kept in order, which no template does: one `contains` test per
    pair. The rules are always written out too, because they also set FEEDBACK.
    """
    kind, points = question["type"], question.get("points", 1)
    declarations = [
        _outcome("SCORE", "single", "float", "0", normalMaximum=str(points)),
        _outcome("MAXSCORE", "single", "float", str(points)),
    ]
    rules: list[ET.Element] = []
    feedback_keys = _el("multiple", {}, _base("identifier", GENERAL))
    template = None
    if kind in ("single", "true_false", "multiple"):
        feedback_keys.insert(0, _el("variable", {"identifier": _RESPONSE}))
    if kind in ("single", "true_false"):
        template = "match_correct" if points == 1 else None
        rules.append(
            _el(
                "responseCondition",
                {},
                _el(
                    "responseIf",
                    {},
                    _el(
                        "match",
                        {},
                        _el("variable", {"identifier": _RESPONSE}),
                        _el("correct", {"identifier": _RESPONSE}),
                    ),
                    _set("SCORE", _el("variable", {"identifier": "MAXSCORE"})),
                ),
                _el("responseElse", {}, _set("SCORE", _base("float", 0))),
            )
        )
    elif kind == "multiple":
        template = "map_response"
        rules.append(
            _el(
                "responseCondition",
                {},
                _el(
                    "responseIf",
                    {},
                    _el("isNull", {}, _el("variable", {"identifier": _RESPONSE})),
                    _set("SCORE", _base("float", 0)),
                ),
                _el(
                    "responseElse",
                    {},
                    _set("SCORE", _el("mapResponse", {"identifier": _RESPONSE})),
                ),
            )
        )
    else:  # ordering
        declarations.append(_outcome("PAIRS_KEPT", "single", "integer", "0"))
        steps = [f"choice-{n}" for n in range(1, len(question["items"]) + 1)]
        for first, second in itertools.pairwise(steps):
            pair = _el("ordered", {}, _base("identifier", first), _base("identifier", second))
            kept = _el("contains", {}, _el("variable", {"identifier": _RESPONSE}), pair)
            one_more = _el("sum", {}, _el("variable", {"identifier": "PAIRS_KEPT"}))
            one_more.append(_base("integer", 1))
            rules.append(
                _el(
                    "responseCondition",
                    {},
                    _el("responseIf", {}, kept, _set("PAIRS_KEPT", one_more)),
                )
            )
        share = _el(
            "divide",
            {},
            _el("variable", {"identifier": "PAIRS_KEPT"}),
            _base("float", len(steps) - 1),
        )
        product = _el("product", {}, _el("variable", {"identifier": "MAXSCORE"}), share)
        rules.append(_set("SCORE", product))
    rules.append(_set("FEEDBACK", feedback_keys))
    processing = _el("responseProcessing", {}, *rules)
    if template:
        processing.set("template", _TEMPLATES[version].format(template))
    return declarations, processing


def _item(question: dict[str, Any], version: str) -> ET.Element:
    kind = question["type"]
    item = _el(
        "assessmentItem",
        {
            "identifier": _identifier(question["id"]),
            "title": _plain(question["prompt"]),
            "adaptive": "false",
            "timeDependent": "false",
            _XML_LANG: "en",
        },
    )
    response = _el("responseDeclaration", {"identifier": _RESPONSE})
    body = _el("itemBody", {}, *_markdown_html(question["prompt"]))
    feedback = []
    if kind == "reflection":
        response.attrib.update(cardinality="single", baseType="string")
        body.append(_el("extendedTextInteraction", {"responseIdentifier": _RESPONSE}))
        declarations: list[ET.Element] = []
        processing = None
        if question.get("feedback"):
            declarations = [_outcome("FEEDBACK", "multiple", "identifier")]
            keys = _el("multiple", {}, _base("identifier", GENERAL))
            processing = _el("responseProcessing", {}, _set("FEEDBACK", keys))
    else:
        declarations, processing = _scoring(question, version)
        declarations.append(_outcome("FEEDBACK", "multiple", "identifier"))
        choices = _choices(question)
        if kind == "ordering":
            response.attrib.update(cardinality="ordered", baseType="identifier")
            interaction = _el(
                "orderInteraction", {"responseIdentifier": _RESPONSE, "shuffle": "true"}
            )
        else:
            single = kind != "multiple"
            response.attrib.update(
                cardinality="single" if single else "multiple", baseType="identifier"
            )
            shuffle = kind != "true_false" and question.get("shuffle", True)
            interaction = _el(
                "choiceInteraction",
                {
                    "responseIdentifier": _RESPONSE,
                    "shuffle": str(shuffle).lower(),
                    "maxChoices": "1" if single else "0",
                    "minChoices": "1",
                },
            )
        correct = _el(
            "correctResponse", {}, *(_text("value", c.identifier) for c in choices if c.correct)
        )
        response.append(correct)
        if kind == "multiple":
            response.append(_mapping(question, choices))
        for choice in choices:
            element = _text("simpleChoice", choice.text, {"identifier": choice.identifier})
            if choice.fixed:
                element.set("fixed", "true")
            interaction.append(element)
            if choice.feedback:
                feedback.append(_feedback(choice.identifier, choice.feedback))
        body.append(interaction)
    if question.get("feedback"):
        feedback.insert(0, _feedback(GENERAL, question["feedback"]))
    item.extend([response, *declarations, body])
    if processing is not None:
        item.append(processing)
    item.extend(feedback)
    return item


def _option_values(question: dict[str, Any]) -> list[float]:
    """What choosing each option adds to a multiple choice mark: points/k for a right
    one, -points/m for a wrong one (quizapp.questions.multiple)."""
    points, options = question.get("points", 1), question["options"]
    right = sum(1 for option in options if option["correct"])
    wrong = len(options) - right
    return [points / right if option["correct"] else -points / wrong for option in options]


def _mapping(question: dict[str, Any], choices: list[_Choice]) -> ET.Element:
    """Multiple choice marking as a mapping; its bounds floor the sum at 0 and cap it at
    the points."""
    points = question.get("points", 1)
    mapping = _el("mapping", {"lowerBound": "0", "upperBound": str(points), "defaultValue": "0"})
    for choice, value in zip(choices, _option_values(question), strict=True):
        mapping.append(
            _el("mapEntry", {"mapKey": choice.identifier, "mappedValue": _number(value)})
        )
    return mapping


def _as_version(element: ET.Element, version: str) -> ET.Element:
    """The item for the version: QTI names kebab-cased for 3.0 (whose feedback content
    also sits in a `qti-content-body`), and the version's namespace."""
    for node in list(element.iter()):
        if version == "3.0" and node.tag == "modalFeedback":
            body = _el("qti-content-body", {}, *list(node))
            for child in list(node):
                node.remove(child)
            node.append(body)
        if version == "3.0" and node.tag in _QTI_ELEMENTS:
            node.tag = f"qti-{_kebab(node.tag)}"
            for key in list(node.attrib):
                if not key.startswith("{"):
                    node.attrib[_kebab(key)] = node.attrib.pop(key)
    return _declare(element, ITEM_NAMESPACES[version], _SCHEMAS[version])


def _declare(root: ET.Element, namespace: str, schema: str, **prefixes: str) -> ET.Element:
    """Namespaces declared as attributes: ElementTree's own way of writing a default
    namespace is global state, shared by concurrent exports."""
    root.set("xmlns", namespace)
    for prefix, uri in {**prefixes, "xsi": _XSI}.items():
        root.set(f"xmlns:{prefix}", uri)
    root.set("xsi:schemaLocation", f"{namespace} {schema}")
    return root


def _lom(*, title: str | None = None, keywords: Sequence[str] = ()) -> ET.Element:
    """IEEE LOM metadata: the bank's title, or an item's keywords (our tags)."""

    def lom(name: str) -> str:
        return f"imsmd:{name}"

    general = ET.Element(lom("general"))
    if title:
        title_element = ET.SubElement(general, lom("title"))
        ET.SubElement(title_element, lom("string"), {"language": "en"}).text = title
    for keyword in keywords:
        keyword_element = ET.SubElement(general, lom("keyword"))
        ET.SubElement(keyword_element, lom("string"), {"language": "en"}).text = keyword
    return _el(lom("lom"), {}, general)


#: What Markdown renders to: author text, where added whitespace would change the words.
_HTML_ELEMENTS = frozenset(
    {
        "p", "ul", "ol", "li", "a", "strong", "em", "code", "pre", "blockquote",
        "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "table", "thead", "tbody",
        "tr", "th", "td",
    }
)  # fmt: skip


def _indent(element: ET.Element, level: int = 0) -> None:
    """`ET.indent` for the QTI structure only: indenting inside a paragraph would put a
    space between "<em>a</em><strong>b</strong>"."""
    if element.tag in _HTML_ELEMENTS or not len(element) or (element.text or "").strip():
        return
    inner = "\n" + "  " * (level + 1)
    element.text = inner
    for child in element:
        _indent(child, level + 1)
        if not (child.tail or "").strip():
            child.tail = inner
    if not (element[-1].tail or "").strip():
        element[-1].tail = "\n" + "  " * level


def _xml(element: ET.Element) -> bytes:
    _indent(element)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def write_package(content: dict[str, Any], version: str) -> Exported:
    """A bank version's content as a QTI content package (zip): imsmanifest.xml and one
    item per question. Branching scenarios have no QTI equivalent and are skipped."""
    if version not in _MANIFEST_NAMESPACES:
        raise ValueError(f"QTI version {version!r}: write 3.0 or 2.2")
    schema, schema_version = _PACKAGE_SCHEMA[version]
    manifest = _el(
        "manifest",
        {"identifier": _identifier(content["id"])},
        _el(
            "metadata",
            {},
            _text("schema", schema),
            _text("schemaversion", schema_version),
            _lom(title=content["title"]),
        ),
        _el("organizations"),
    )
    resources = ET.SubElement(manifest, "resources")
    files: dict[str, bytes] = {}
    skipped = []
    for question in content["questions"]:
        if question["type"] not in _WRITTEN:
            reason = (
                "a branching scenario has no QTI equivalent (QTI items have no branches)"
                if question["type"] == "scenario"
                else "no QTI interaction is written for this type"
            )
            skipped.append(Skipped(question["id"], question["type"], reason))
            continue
        identifier = _identifier(question["id"])
        href = f"items/{identifier}.xml"
        keywords = list(question.get("tags") or [])
        keywords += [f"{FINDING_TAG}{finding}" for finding in question.get("findings") or []]
        resource = _el(
            "resource",
            {"identifier": identifier, "type": _RESOURCE_TYPES[version], "href": href},
            _el("metadata", {}, _lom(keywords=keywords)),
            _el("file", {"href": href}),
        )
        resources.append(resource)
        files[href] = _xml(_as_version(_item(question, version), version))
    _declare(
        manifest, _MANIFEST_NAMESPACES[version], _MANIFEST_SCHEMAS[version], imsmd=LOM_NAMESPACE
    )
    files = {"imsmanifest.xml": _xml(manifest), **files}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return Exported(buffer.getvalue(), skipped)


# Reading


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _normalise(root: ET.Element) -> str | None:
    """QTI 3.0 names as QTI 2 names, namespaces dropped; the item's version ("2.1"), or
    None if the root is not a QTI item."""
    found = _NAMESPACE_VERSION.search(root.tag.split("}")[0] if root.tag.startswith("{") else "")
    kebab = root.tag.endswith("qti-assessment-item")
    for node in root.iter():
        name = _local(node.tag)
        if name.startswith("qti-"):
            node.tag = _camel(name[4:])
            for key in list(node.attrib):
                if not key.startswith("{"):
                    node.attrib[_camel(key)] = node.attrib.pop(key)
        else:
            node.tag = name
    if root.tag != "assessmentItem":
        return None
    if found:
        return f"{found[1]}.{found[2]}"
    return "3.0" if kebab else "2"


#: HTML elements with no content and no end tag.
_VOID = frozenset({"area", "br", "col", "hr", "img", "input", "source", "track", "wbr"})


def _html(element: ET.Element, *, skip: frozenset[str] = frozenset()) -> str:
    """An element's content as HTML text, leaving out QTI elements named in `skip`."""
    parts = [escape(element.text or "")]
    for child in element:
        if child.tag not in skip:
            attributes = "".join(
                f" {key}={quoteattr(value)}"
                for key, value in child.attrib.items()
                if not key.startswith("{")
            )
            parts.append(f"<{child.tag}{attributes}>")
            if child.tag not in _VOID:  # "<br></br>" is two line breaks in HTML
                parts.append(f"{_html(child, skip=skip)}</{child.tag}>")
        parts.append(escape(child.tail or ""))
    return "".join(parts)


def _words(element: ET.Element, *, skip: frozenset[str] = frozenset()) -> str:
    """Plain text of an element (an option, an ordering item), on one line."""
    texts = [element.text or ""]
    for child in element:
        if child.tag not in skip:
            texts.append(_words(child, skip=skip))
        texts.append(child.tail or "")
    return " ".join("".join(texts).split())


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element.iter() if child.tag == name]


def _first(element: ET.Element, name: str) -> ET.Element | None:
    return next(iter(_children(element, name)), None)


_INTERACTION = re.compile(r"[a-zA-Z]+Interaction$")
#: Item body parts that are not the question's words.
_NOT_PROMPT = frozenset(
    {"rubricBlock", "feedbackBlock", "feedbackInline", "templateBlock", "templateInline"}
)
_FEEDBACK = frozenset({"modalFeedback", "feedbackBlock", "feedbackInline"})
_READ = {"choiceInteraction", "orderInteraction", "extendedTextInteraction"}


class _ItemReader:
    """Maps one normalised item to a question dict, or says why it can't."""

    def __init__(self, root: ET.Element, name: str, report: ImportReport) -> None:
        self.root, self.name, self.report = root, name, report

    def adjusted(self, message: str) -> None:
        self.report.adjusted.append(Adjusted(self.name, message))

    def read(self, taken: set[str], tags: list[str]) -> dict[str, Any] | None:
        body = _first(self.root, "itemBody")
        if body is None:
            self.report.skipped.append(Skipped(self.name, "no item body", "nothing to ask"))
            return None
        interactions = [element for element in body.iter() if _INTERACTION.match(element.tag)]
        if len(interactions) != 1:
            kind = ", ".join(element.tag for element in interactions) or "no interaction"
            reason = "a question here has one interaction; this item has " + (
                f"{len(interactions)}" if interactions else "none"
            )
            self.report.skipped.append(Skipped(self.name, kind, reason))
            return None
        interaction = interactions[0]
        if interaction.tag not in _READ:
            reason = "our question types are choices, ordering and free text"
            self.report.skipped.append(Skipped(self.name, interaction.tag, reason))
            return None
        prompt = _html(body, skip=_NOT_PROMPT | {interaction.tag})
        inner_prompt = _first(interaction, "prompt")
        if inner_prompt is not None:
            prompt += f"<p>{_html(inner_prompt)}</p>"
        question: dict[str, Any] = {
            "id": self._id(taken),
            "prompt": html_to_markdown(prompt) or todo("write the question"),
        }
        feedback = self._feedback()
        if interaction.tag == "extendedTextInteraction":
            question["type"] = "reflection"
            if GENERAL in feedback:
                question["feedback"] = feedback.pop(GENERAL)
        else:
            mapped = (
                self._choice(interaction, feedback)
                if interaction.tag == "choiceInteraction"
                else self._order(interaction)
            )
            if mapped is None:
                return None
            question.update(mapped)
            question["feedback"] = feedback.pop(GENERAL, None) or todo("write the feedback")
            question["points"] = self._points()
            self._check_marking(question, interaction)
        left = [key for key in feedback if key not in self._choice_ids(interaction)]
        if left:
            self.adjusted(
                f"feedback {', '.join(left)} not imported: a question here has one general"
                " feedback and one per option"
            )
        if tags:
            question["tags"] = tags
        return question

    def _id(self, taken: set[str]) -> str:
        identifier = self.root.get("identifier", "")
        ours = identifier[1:] if identifier.startswith("_") else identifier
        if _SLUG.match(ours) and len(ours) <= 100 and ours not in taken:
            taken.add(ours)
            return ours
        return question_id(self.root.get("title") or identifier, taken)

    def _feedback(self) -> dict[str, str]:
        """Feedback shown when its identifier is set (modal, block or inline in a choice),
        by identifier, as Markdown."""
        found = {}
        for element in self.root.iter():
            if element.tag not in _FEEDBACK or element.get("showHide", "show") != "show":
                continue
            text = html_to_markdown(_html(element))
            key = element.get("identifier", "")
            if text and key:
                found[key] = f"{found[key]}\n\n{text}" if key in found else text
        return found

    def _choice_ids(self, interaction: ET.Element) -> set[str]:
        return {choice.get("identifier", "") for choice in _children(interaction, "simpleChoice")}

    def _declaration(self, interaction: ET.Element) -> ET.Element | None:
        wanted = interaction.get("responseIdentifier")
        return next(
            (
                declaration
                for declaration in _children(self.root, "responseDeclaration")
                if declaration.get("identifier") == wanted
            ),
            None,
        )

    def _correct(self, interaction: ET.Element) -> list[str]:
        declaration = self._declaration(interaction)
        correct = _first(declaration, "correctResponse") if declaration is not None else None
        if correct is None:
            return []
        return [(value.text or "").strip() for value in _children(correct, "value")]

    def _choice(self, interaction: ET.Element, feedback: dict[str, str]) -> dict[str, Any] | None:
        correct = set(self._correct(interaction))
        choices = _children(interaction, "simpleChoice")
        if not correct:
            reason = "no correct response is given, so it can't be marked"
            self.report.skipped.append(Skipped(self.name, "choiceInteraction", reason))
            return None
        options = []
        for choice in choices:
            identifier = choice.get("identifier", "")
            option: dict[str, Any] = {
                "text": _words(choice, skip=_NOT_PROMPT),
                "correct": identifier in correct,
                "feedback": feedback.get(identifier)
                or todo("say why this option is or is not right"),
            }
            if choice.get("fixed") == "true":
                option["fixed"] = True
            options.append(option)
        single = interaction.get("maxChoices", "1") == "1"
        if single and len(correct) > 1:
            self.adjusted("one choice allowed but several are right: imported as multiple choice")
            single = False
        texts = [option["text"].casefold() for option in options]
        if single and sorted(texts) == ["false", "true"]:
            by_text = dict(zip(texts, options, strict=True))
            return {
                "type": "true_false",
                "answer": by_text["true"]["correct"],
                "feedback_true": by_text["true"]["feedback"],
                "feedback_false": by_text["false"]["feedback"],
            }
        mapped: dict[str, Any] = {"type": "single" if single else "multiple", "options": options}
        if interaction.get("shuffle") == "false":
            mapped["shuffle"] = False
        return mapped

    def _order(self, interaction: ET.Element) -> dict[str, Any] | None:
        texts = {
            choice.get("identifier", ""): _words(choice, skip=_NOT_PROMPT)
            for choice in _children(interaction, "simpleChoice")
        }
        correct = self._correct(interaction)
        if sorted(correct) != sorted(texts):
            reason = "the correct response does not put every item in order"
            self.report.skipped.append(Skipped(self.name, "orderInteraction", reason))
            return None
        return {"type": "ordering", "items": [texts[identifier] for identifier in correct]}

    def _check_marking(self, question: dict[str, Any], interaction: ET.Element) -> None:
        """Says so when the file marks a question differently from how we will: we mark
        every question of a type one way, whatever an item's response processing says."""
        if question["type"] == "multiple":
            identifiers = [c.get("identifier", "") for c in _children(interaction, "simpleChoice")]
            ours = dict(zip(identifiers, _option_values(question), strict=True))
            declaration = self._declaration(interaction)
            entries = _children(declaration, "mapEntry") if declaration is not None else []
            theirs = {entry.get("mapKey", ""): entry.get("mappedValue", "") for entry in entries}
            if theirs.keys() != ours.keys() or not all(
                _close(theirs[key], value) for key, value in ours.items()
            ):
                self.adjusted(
                    "marked as our multiple choice: each right option earns a share of the"
                    " points and each wrong one costs a share, not as the file marks it"
                )
        elif question["type"] == "ordering" and not _children(self.root, "contains"):
            self.adjusted(
                "marked as our ordering: each pair of neighbours kept in order earns a share"
                " of the points, not all or nothing"
            )

    def _points(self) -> int:
        value = None
        for declaration in _children(self.root, "outcomeDeclaration"):
            if declaration.get("identifier") == "MAXSCORE":
                found = _first(declaration, "value")
                value = found.text if found is not None else None
            elif declaration.get("identifier") == "SCORE" and value is None:
                value = declaration.get("normalMaximum")
        try:
            number = float(value) if value is not None else 1.0
        except ValueError:
            number = 1.0
        points = min(10, max(1, round(number)))
        if number != points:
            self.adjusted(
                f"worth {_number(number)}: questions here are worth 1 to 10 whole points,"
                f" so {points}"
            )
        return points


def _close(text: str, value: float) -> bool:
    try:
        return abs(float(text) - value) < 1e-6
    except ValueError:
        return False


def _problems(question: dict[str, Any]) -> list[str]:
    """What makes a mapped question invalid in a bank (e.g. two options with one text)."""
    spec = {**question, "stage": "imported", "findings": []}
    if "tags" in spec:
        spec["tags"] = [tag for tag in spec["tags"] if not tag.startswith(FINDING_TAG)] or None
    try:
        model = QUESTION_MODELS[question["type"]].model_validate(spec)
    except ValidationError as error:
        return [
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)
        ]
    return [f"{path}: {message}" for path, message in model.question_type.validate(model.spec())]


def _keywords(resource: ET.Element) -> list[str]:
    """A resource's LOM keywords as our tags (finding tags kept whole)."""
    tags: list[str] = []
    for keyword in _children(resource, "keyword"):
        for string in _children(keyword, "string"):
            text = (string.text or "").strip()
            keep = text.startswith(FINDING_TAG) and _SLUG.match(text)
            tag = text if keep else tag_of(text)
            if tag and tag not in tags:
                tags.append(tag)
    return tags


def _parse(data: bytes) -> ET.Element:
    return SafeET.fromstring(data)


#: A package unpacking to more than this is refused before anything is unpacked (a small
#: zip can unpack to gigabytes).
MAX_UNPACKED = 50 * 1024 * 1024


def _items(data: bytes, report: ImportReport) -> Iterator[tuple[str, bytes, list[str]]]:
    """(file name, item XML, tags) of each item in a package or the one item given."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        yield "item", data, []
        return
    try:
        yield from _package_items(data, report)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        report.problems.append(Problem("(file)", f"the zip is damaged: {error}"))


def _package_items(data: bytes, report: ImportReport) -> Iterator[tuple[str, bytes, list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
            report.problems.append(
                Problem("(file)", "the package unpacks to more than 50 MB: it is not read")
            )
            return
        names = archive.namelist()
        manifests = sorted(
            (n for n in names if posixpath.basename(n) == "imsmanifest.xml"), key=len
        )
        if not manifests:
            report.problems.append(
                Problem("(file)", "the zip has no imsmanifest.xml: not a QTI content package")
            )
            return
        try:
            manifest = _parse(archive.read(manifests[0]))
        except (ET.ParseError, ValueError) as error:  # defusedxml's are ValueErrors
            report.problems.append(Problem("imsmanifest.xml", f"not readable XML: {error}"))
            return
        for node in manifest.iter():
            node.tag = _local(node.tag)
        metadata = next((c for c in manifest if c.tag == "metadata"), None)
        title = _first(metadata, "title") if metadata is not None else None
        if title is not None:
            report.title = _words(title) or None
        base = posixpath.dirname(manifests[0])
        for resource in _children(manifest, "resource"):
            if report.full():
                return
            kind = resource.get("type", "")
            if "item" not in kind:
                continue
            href = posixpath.normpath(posixpath.join(base, resource.get("href", "")))
            if href not in names:
                report.problems.append(
                    Problem(resource.get("identifier", href), f"{href} is not in the package")
                )
                continue
            yield href, archive.read(href), _keywords(resource)


def _media(root: ET.Element) -> list[str]:
    """The files the item shows (pictures, sound, video), which are not imported."""
    names: list[str] = []
    for element in root.iter():
        if _local(element.tag) in _MEDIA_ELEMENTS:
            source = element.get("src") or element.get("data") or ""
            name = source.rsplit("/", 1)[-1] or _local(element.tag)
            if name not in names:
                names.append(name)
    return names


_MEDIA_ELEMENTS = {"img", "object", "video", "audio", "iframe", "embed"}


def _too_deep(root: ET.Element) -> bool:
    """Deeper than any real item: reading it would overflow the stack."""
    level = [root]
    for _ in range(MAX_HTML_DEPTH):
        level = [child for element in level for child in element]
        if not level:
            return False
    return True


def read(data: bytes) -> ImportReport:
    """Questions from a QTI content package (zip) or a single item, QTI 2.1, 2.2 or 3.0."""
    report = ImportReport(source_format="QTI")
    taken: set[str] = set()
    versions: list[str] = []
    for name, xml, tags in _items(data, report):
        if report.full():
            break
        try:
            root = _parse(xml)
        except (ET.ParseError, ValueError) as error:
            report.problems.append(Problem(name, f"not readable XML: {error}"))
            continue
        if _too_deep(root):
            message = f"its XML is nested more than {MAX_HTML_DEPTH} levels deep: it is not read"
            report.problems.append(Problem(name, message))
            continue
        version = _normalise(root)
        if version is None:
            reason = "only assessment items are read"
            report.skipped.append(Skipped(name, root.tag, reason))
            continue
        versions.append(version)
        label = short_name(root.get("identifier") or name)
        try:
            question = _ItemReader(root, label, report).read(taken, tags)
        except TooDeeplyNested as error:
            report.problems.append(Problem(label, str(error)))
            continue
        if question is None:
            continue
        problems = _problems(question)
        if problems:
            report.problems += [Problem(label, message) for message in problems]
        else:
            report.questions.append(question)
            if media := _media(root):
                report.adjusted.append(Adjusted(label, media_note(media)))
    if versions:
        report.source_format = "QTI " + "/".join(sorted(set(versions), reverse=True))
    return report
