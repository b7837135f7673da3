"""Reading bank files: every error at once, each with its file, line and path.

Authors are safeguarding trainers editing YAML by hand. One run should tell them
everything that is wrong, in file order, pointing at the line to change; and no file,
however broken, may crash the command that reads it. The YAML is composed once into
nodes, which give both the data and the line of every key and item.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..questions import QUESTION_TYPES
from .schema import (
    FORMAT_VERSION,
    BankFile,
    FieldPath,
    format_path,
    item_warnings,
    semantic_errors,
)

#: The kinds of a scenario's nodes (the tag pydantic puts in an error's location).
_NODE_KINDS = ("story", "decision", "ending")
#: Far beyond any real bank; stops alias "billion laughs" and absurd nesting.
_MAX_NODES = 200_000
_MAX_DEPTH = 60
_DECIMAL = re.compile(r"[-+]?[0-9]+")


@dataclass(frozen=True)
class BankError:
    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path}: {self.message}"


@dataclass(frozen=True)
class BankWarning(BankError):
    """An item-writing problem worth a look (a clue to the right answer, a negative
    stem): reported, never blocking, and no part of the bank's content."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.path}: {self.message}"


@dataclass
class LoadResult:
    #: None whenever there are errors: a half-valid bank must never be imported.
    bank: BankFile | None
    errors: list[BankError]
    #: Line of each path ("questions[3].options"), for callers that report on a bank.
    lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    #: Item-writing warnings (schema.item_warnings); the bank loads whatever they say.
    warnings: list[BankWarning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _FileProblem(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Reader:
    """Turns a node tree into plain data, noting lines and the problems YAML ignores."""

    def __init__(self) -> None:
        self.lines: dict[FieldPath, int] = {}
        self.problems: list[tuple[FieldPath, int, str]] = []
        self._constructor = yaml.constructor.SafeConstructor()  # for floats only
        self._nodes = 0

    def read(self, node: yaml.Node, path: FieldPath, depth: int = 0) -> Any:
        self._nodes += 1
        line = node.start_mark.line + 1
        if self._nodes > _MAX_NODES or depth > _MAX_DEPTH:
            raise _FileProblem(line, "the file is too large or too deeply nested to be a bank")
        self.lines.setdefault(path, line)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.read(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: FieldPath, depth: int) -> dict[str, Any]:
        data: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append((path, line, "a key must be plain text"))
                continue
            # The key as written: `yes:` or `1:` are keys named "yes" and "1", not values.
            key = str(key_node.value)
            if key in first_line:
                message = f"duplicate key {key!r} (first given on line {first_line[key]})"
                self.problems.append(((*path, key), line, message))
                continue
            first_line[key] = line
            self.lines[(*path, key)] = line
            data[key] = self.read(value_node, (*path, key), depth + 1)
        return data

    def _scalar(self, node: yaml.Node, path: FieldPath) -> Any:
        """YAML 1.2 readings, not PyYAML's 1.1 ones: only true/false are booleans and
        only decimal digits are numbers, so `answer: yes` is an error rather than a
        silent True, and a title such as `2016-08-01` or `No` stays text."""
        value = str(node.value)
        tag = node.tag.removeprefix("tag:yaml.org,2002:")
        if tag in ("str", "timestamp"):
            return value
        if tag == "null":
            return None
        if tag == "bool":
            return {"true": True, "false": False}.get(value.lower(), value)
        if tag == "int":
            if not _DECIMAL.fullmatch(value):
                return value
            try:
                return int(value)
            except ValueError:  # beyond Python's limit on digits
                self.problems.append((path, node.start_mark.line + 1, "this number is too large"))
                return None
        if tag == "float":
            number = float(self._constructor.construct_yaml_float(node))
            return number if math.isfinite(number) else value
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        self.problems.append((path, node.start_mark.line + 1, f"YAML tags ({shown}) are not used"))
        return None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> _FileProblem:
    mark = getattr(exc, "problem_mark", None)
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return _FileProblem(line, "the file holds a character YAML does not allow (binary data?)")
    line = mark.line + 1 if mark is not None else 1
    problem = str(getattr(exc, "problem", None) or exc)
    if "'\\t'" in problem:
        return _FileProblem(line, "YAML syntax error: a tab; indent with spaces, not tabs")
    context = getattr(exc, "context", None)
    detail = f" ({context})" if context else ""
    return _FileProblem(line, f"YAML syntax error: {problem}{detail}")


#: libyaml's loader where PyYAML was built with it: the same nodes and marks, much faster.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=_YAML_LOADER)
    except yaml.YAMLError:
        pass  # the pure-Python loader explains syntax errors in the words authors see
    except RecursionError:
        raise _FileProblem(1, "the file is nested too deeply to be a bank") from None
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise _yaml_problem(exc, text) from None
    except RecursionError:
        raise _FileProblem(1, "the file is nested too deeply to be a bank") from None


def _line_of(lines: dict[FieldPath, int], path: FieldPath) -> int:
    """The line of the path, or of the nearest enclosing mapping (a missing field)."""
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def load_bank_text(text: str, filename: str) -> LoadResult:
    """Never raises: whatever the text, the answer is a bank or a list of errors."""
    try:
        return _load(text, filename)
    except _FileProblem as problem:
        return LoadResult(None, [BankError(filename, problem.line, "(file)", problem.message)])
    except Exception as exc:  # a crash here would hide every other error from the author
        message = f"could not check this file ({type(exc).__name__}); please report it"
        return LoadResult(None, [BankError(filename, 1, "(file)", message)])


def _load(text: str, filename: str) -> LoadResult:
    root = _compose(text)
    if root is None:
        raise _FileProblem(1, "the file is empty")
    reader = _Reader()
    data = reader.read(root, ())
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "a single value"
        raise _FileProblem(
            root.start_mark.line + 1,
            f"a bank file must be a mapping of keys (format, id, title...), not {kind}",
        )
    lines = reader.lines

    def error(path: FieldPath, message: str, line: int | None = None) -> BankError:
        return BankError(filename, line or _line_of(lines, path), format_path(path), message)

    if "format" in data and (type(data["format"]) is not int or data["format"] != FORMAT_VERSION):
        message = (
            f"unknown format {data['format']!r};"
            f" this version of quizapp reads format {FORMAT_VERSION}"
        )
        return LoadResult(None, [error(("format",), message)], _line_map(lines))
    errors = [error(path, message, line) for path, line, message in reader.problems]
    bank = None
    try:
        bank = BankFile.model_validate(data)
    except ValidationError as exc:
        # A value the reader could not read is reported once, by the reader.
        unreadable = {format_path(path) for path, _, _ in reader.problems}
        located = [error(*_located(details, data)) for details in exc.errors()]
        errors += [e for e in located if e.path not in unreadable]
    errors += [error(path, message) for path, message in semantic_errors(data)]
    if "format" not in data:
        errors = [e for e in errors if e.path != "format"]
        errors.append(error(("format",), "required field is missing: a bank starts `format: 1`"))
    errors.sort(key=lambda e: e.line)
    warnings = [
        BankWarning(filename, _line_of(lines, path), format_path(path), message)
        for path, message in item_warnings(data)
    ]
    warnings.sort(key=lambda w: w.line)
    return LoadResult(None if errors else bank, errors, _line_map(lines), warnings)


def _line_map(lines: dict[FieldPath, int]) -> dict[str, int]:
    return {format_path(path): line for path, line in lines.items()}


def _located(details: ErrorDetails, data: dict[str, Any]) -> tuple[FieldPath, str]:
    """Pydantic's location and message, restated for an author."""
    loc: FieldPath = tuple(details["loc"])
    if len(loc) > 2 and loc[0] == "questions" and loc[2] in QUESTION_TYPES:
        loc = (*loc[:2], *loc[3:])  # drop the union's tag: it is the question's `type`
    if len(loc) > 4 and loc[2] == "nodes" and loc[4] in _NODE_KINDS:
        loc = (*loc[:4], *loc[5:])  # and a scenario node's: it is the node's `kind`
    kind = details["type"]
    ctx = details.get("ctx") or {}
    if kind.startswith("union_tag") and "kind" in str(ctx.get("discriminator")):
        kinds = ", ".join(_NODE_KINDS)
        if kind == "union_tag_invalid":
            return (*loc, "kind"), f"unknown node kind {ctx.get('tag')!r}; kinds are: {kinds}"
        return (*loc, "kind"), f"required field is missing (one of: {kinds})"
    types = ", ".join(QUESTION_TYPES)
    if kind == "union_tag_invalid":
        return (*loc, "type"), f"unknown question type {ctx.get('tag')!r}; types are: {types}"
    if kind == "union_tag_not_found":
        return (*loc, "type"), f"required field is missing (one of: {types})"
    if kind == "extra_forbidden":
        return loc, _unknown_key(loc, data)
    return loc, _MESSAGES.get(kind, _as_is)(ctx, details["msg"])


def _unknown_key(loc: FieldPath, data: dict[str, Any]) -> str:
    if len(loc) == 3 and loc[0] == "questions":
        question = data["questions"][loc[1]]
        question_type = QUESTION_TYPES[question["type"]]
        if loc[2] == "points" and not question_type.scored:
            return f"not allowed: {question_type.label.lower()} questions are not scored"
        return f"unknown key for a {question_type.label.lower()} question"
    return "unknown key (check its spelling and indentation)"


def _as_is(ctx: dict[str, Any], msg: str) -> str:
    return msg.removeprefix("Value error, ").replace("Input should", "should")


_MESSAGES = {
    "missing": lambda ctx, msg: "required field is missing",
    "string_type": lambda ctx, msg: (
        "should be text (put it in quotes: YAML reads true, false, null and numbers as other types)"
    ),
    "int_type": lambda ctx, msg: "should be a whole number, written without quotes",
    "bool_type": lambda ctx, msg: "should be true or false, written without quotes",
    "dict_type": lambda ctx, msg: "should be a set of `key: value` lines",
    "model_type": lambda ctx, msg: "should be a set of `key: value` lines",
    "model_attributes_type": lambda ctx, msg: "should be a set of `key: value` lines",
    "list_type": lambda ctx, msg: "should be a list (lines starting with `- `)",
    "literal_error": lambda ctx, msg: f"should be {ctx.get('expected')}",
    "string_pattern_mismatch": lambda ctx, msg: (
        "should be an id of lowercase letters, digits and single hyphens, e.g. information-sharing"
    ),
    "too_short": lambda ctx, msg: (
        f"needs at least {ctx.get('min_length')} item(s) (found {ctx.get('actual_length')})"
    ),
    # Lists only: text that is too long is "string_too_long".
    "too_long": lambda ctx, msg: (
        f"has too many items (at most {ctx.get('max_length')}, found {ctx.get('actual_length')})"
    ),
    "string_too_long": lambda ctx, msg: f"is too long (at most {ctx.get('max_length')} characters)",
    "greater_than_equal": lambda ctx, msg: f"should be at least {ctx.get('ge')}",
    "less_than_equal": lambda ctx, msg: f"should be at most {ctx.get('le')}",
}


def load_bank_file(path: str | Path) -> LoadResult:
    """Like load_bank_text; an unreadable or non-UTF-8 file is an error, not a crash."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError as exc:
        error = BankError(str(path), 1, "(file)", f"cannot read the file: {exc.strerror}")
        return LoadResult(None, [error])
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        return LoadResult(None, [BankError(str(path), line, "(file)", "the file is not UTF-8")])
    return load_bank_text(text, str(path))


def load_bank_paths(paths: Iterable[str | Path]) -> list[tuple[Path, LoadResult]]:
    """Directories give their *.yaml and *.yml files, sorted. Two files with the same
    bank id both get an error: which of them is the real bank is the author's call."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = [*path.glob("*.yaml"), *path.glob("*.yml")]
            files += sorted(p for p in found if p.is_file())
        else:
            files.append(path)
    results = []
    seen: set[Path] = set()
    for file in files:
        if file.resolve() not in seen:
            seen.add(file.resolve())
            results.append((file, load_bank_file(file)))
    return _mark_duplicate_ids(results)


def _mark_duplicate_ids(
    results: list[tuple[Path, LoadResult]],
) -> list[tuple[Path, LoadResult]]:
    files_by_id: dict[str, list[Path]] = {}
    for file, result in results:
        if result.bank is not None:
            files_by_id.setdefault(result.bank.id, []).append(file)
    marked = []
    for file, result in results:
        bank_id = result.bank.id if result.bank is not None else None
        others = [str(other) for other in files_by_id.get(bank_id or "", []) if other != file]
        if others:
            message = f"bank id {bank_id!r} is also used by {', '.join(others)}"
            error = BankError(str(file), result.lines.get("id", 1), "id", message)
            result = LoadResult(None, [error], result.lines, result.warnings)
        marked.append((file, result))
    return marked
