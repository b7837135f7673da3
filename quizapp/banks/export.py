"""Writing a bank back out as a file an author would have written.

Exported files are edited by hand and kept in version control, so the output follows
the documented key order, puts a blank line between findings, stages and questions, and
writes multi-line Markdown as `|` blocks. Loading the output gives the same content
hash as the data it came from.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..questions import QUESTION_TYPES

_TYPE_FIELDS = list(
    dict.fromkeys(name for qt in QUESTION_TYPES.values() for name in qt.spec_model.model_fields)
)
_ORDER: dict[str, list[str]] = {
    "bank": [
        "format", "id", "title", "summary", "source", "findings", "stages", "questions",
        "signposting", "check",
    ],
    "source": ["publisher", "title", "url"],
    "findings": ["id", "kind", "text", "confidence"],
    "stages": ["id", "title", "narrative"],
    "questions": [
        "id", "stage", "pool", "type", "findings", "tags", "prompt", "hint", "feedback", "points",
        *_TYPE_FIELDS,
    ],
    "options": ["text", "correct", "fixed", "feedback"],
    "check": ["pass_mark", "certainty", "attempts", "refresh_months", "after_fail",
              "scenario_back", "cpd_minutes", "participatory", "ask_confidence",
              "ask_reaction", "follow_up_weeks"],
}  # fmt: skip
_LISTS = ("findings", "stages", "questions")
# YAML reads these as line breaks inside a `|` block (and PyYAML writes NEL unescaped in
# single quotes, where a reader folds it into a space), so such text is double-quoted,
# where each is escaped.
_UNSAFE_IN_BLOCKS = ("\x85", "\u2028", "\u2029", "\ufeff")


class _FlowList(list[Any]):
    """A short list of ids, written `[a, b]` as an author would."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the documentation's examples do.
        return super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None
    if any(char in value for char in _UNSAFE_IN_BLOCKS):
        style = '"'
    elif "\n" in value:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_flow(dumper: yaml.SafeDumper, value: _FlowList) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=True)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(_FlowList, _represent_flow)


def _ordered(mapping: dict[str, Any], kind: str) -> dict[str, Any]:
    order = _ORDER.get(kind, [])
    keys = [key for key in order if key in mapping] + sorted(set(mapping) - set(order))
    result = {}
    for key in keys:
        value = mapping[key]
        if isinstance(value, dict):
            value = _ordered(value, key)
        elif isinstance(value, list) and kind == "questions" and key == "findings":
            value = _FlowList(value)
        elif isinstance(value, list):
            value = [_ordered(item, key) if isinstance(item, dict) else item for item in value]
        result[key] = value
    return result


def _dump(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def dump_yaml(value: Any) -> str:
    """Any bank data as the YAML a bank file writes it in (e.g. the editor's nodes box)."""
    return _dump(value)


def _indented(text: str) -> str:
    # Only "\n" splits lines here: other characters str.splitlines() honours may sit
    # inside quoted text. Empty lines stay empty so no trailing spaces appear.
    return "\n".join(f"  {line}" if line else line for line in text.split("\n"))


def dump_bank(data: dict[str, Any]) -> str:
    """`data` is `BankFile.to_data()` (or a stored copy of it)."""
    bank = _ordered(data, "bank")
    head = {key: bank.pop(key) for key in ("format", "id", "title") if key in bank}
    blocks = [_dump(head)] if head else []
    for key, value in bank.items():
        if key in _LISTS and isinstance(value, list) and value:
            items = "\n".join(_indented(_dump([item])) for item in value)
            blocks.append(f"{key}:\n{items}")
        else:
            blocks.append(_dump({key: value}))
    return "\n".join(blocks)
