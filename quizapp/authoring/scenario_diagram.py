"""A branching scenario's graph drawn for authors: an SVG picture and the same graph as a
nested list, both built from the question's spec alone (pure: no Flask, no JavaScript).

The picture helps sighted authors see the shape of a scenario at a glance; the list says
everything the picture shows (every node, every alternative and where it leads, conditions
in words, points and endings), so nobody needs the picture. A draft may be invalid while
it is being written, so nothing here assumes the spec passed the validator: unknown
targets, missing fields and loops are all drawn as they are. Every piece of text from the
bank is escaped (markupsafe), so a node text with "<script>" is shown, never run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

#: How an ending's outcome is said in words.
OUTCOMES = {
    "protected": "the child is protected",
    "partly-protected": "the child is partly protected",
    "risk-missed": "the risk is missed",
}
KINDS = {"story": "Story", "decision": "Decision", "ending": "Ending"}

# Layout, in SVG user units (pixels at 100%).
BOX_W, BOX_H = 170, 52
GAP_X, GAP_Y = 36, 64
MARGIN = 24
#: Longest id drawn in a box; the full id is in the box's <title> and in the list.
ID_CHARS = 22


@dataclass(frozen=True)
class Edge:
    """One arrow: `label` names it ("next", an alternative id, "otherwise")."""

    source: str
    target: str
    label: str
    #: Drawn dashed: an alternative offered only under a condition, or an `otherwise`.
    conditional: bool


def nodes_of(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The spec's nodes that have an id (an invalid draft may have others)."""
    nodes = spec.get("nodes")
    if not isinstance(nodes, list):
        return []
    return [n for n in nodes if isinstance(n, dict) and isinstance(n.get("id"), str)]


def _alternatives(node: Mapping[str, Any]) -> list[dict[str, Any]]:
    alternatives = node.get("alternatives")
    if not isinstance(alternatives, list):
        return []
    return [a for a in alternatives if isinstance(a, dict)]


def edges_of(node: Mapping[str, Any]) -> list[Edge]:
    """The arrows leaving a node: `next`, each alternative, and `otherwise`."""
    source = node["id"]
    found: list[Edge] = []
    if node.get("kind") == "story" and isinstance(node.get("next"), str):
        found.append(Edge(source, node["next"], "next", False))
    if node.get("kind") == "decision":
        for alternative in _alternatives(node):
            if isinstance(alternative.get("next"), str):
                label = str(alternative.get("id") or "?")
                found.append(
                    Edge(source, alternative["next"], label, bool(alternative.get("requires")))
                )
    if isinstance(node.get("otherwise"), str):
        found.append(Edge(source, node["otherwise"], "otherwise", True))
    return found


def layers(spec: Mapping[str, Any]) -> list[list[str]]:
    """Node ids in layers by distance from the start (breadth first, every edge followed,
    conditions ignored); nodes the start never reaches come last, in a layer of their own."""
    nodes = {n["id"]: n for n in nodes_of(spec)}
    start = spec.get("start")
    depth: dict[str, int] = {}
    if isinstance(start, str) and start in nodes:
        depth[start] = 0
        queue = deque([start])
        while queue:
            current = queue.popleft()
            for edge in edges_of(nodes[current]):
                if edge.target in nodes and edge.target not in depth:
                    depth[edge.target] = depth[current] + 1
                    queue.append(edge.target)
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node_id in nodes:  # in the file's order within a layer
        if node_id in depth:
            rows[depth[node_id]].append(node_id)
    unreachable = [node_id for node_id in nodes if node_id not in depth]
    if unreachable:
        rows.append(unreachable)
    return rows


def _kind_line(node: Mapping[str, Any]) -> str:
    kind = node.get("kind")
    words = KINDS.get(kind, str(kind or "unknown kind")).lower() if kind else "unknown kind"
    if kind == "ending" and node.get("outcome"):
        words += f": {node['outcome']}"
    return words


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def diagram_svg(spec: Mapping[str, Any], *, prefix: str = "scenario") -> Markup:
    """The graph as an SVG picture: a box per node (its id and kind), an arrow per edge,
    dashed where conditional. `prefix` keeps ids unique when a page shows several."""
    nodes = {n["id"]: n for n in nodes_of(spec)}
    rows = layers(spec)
    widest = max((len(row) for row in rows), default=1)
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X + 60  # room for back arrows
    height = MARGIN * 2 + len(rows) * BOX_H + max(len(rows) - 1, 0) * GAP_Y
    place: dict[str, tuple[int, int]] = {}
    for level, row in enumerate(rows):
        offset = 0  # rows start at the left, so a long chain is in view without scrolling
        for column, node_id in enumerate(row):
            place[node_id] = (
                MARGIN + offset + column * (BOX_W + GAP_X),
                MARGIN + level * (BOX_H + GAP_Y),
            )
    marker = f"{prefix}-arrow"
    parts = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="app-scenario-diagram" width="{w}"'
            ' height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{p}-title">'
            '<title id="{p}-title">Diagram of the scenario: the list that follows says the'
            " same</title>"
            '<defs><marker id="{m}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8"'
            ' markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"'
            ' fill="#0b0c0c"/></marker></defs>'
        ).format(w=width, h=height, p=prefix, m=marker)
    ]
    for node in nodes.values():
        edges = edges_of(node)
        # Alternatives leading to the same node share one arrow, labelled once ("3
        # choices"): the list below says which.
        shared = {e.target: sum(1 for o in edges if o.target == e.target) for e in edges}
        labelled: set[str] = set()
        for number, edge in enumerate(edges):
            count = shared[edge.target]
            text = (
                ""
                if edge.target in labelled
                else (edge.label if count == 1 else f"{count} choices")
            )
            labelled.add(edge.target)
            parts.append(_edge_svg(edge, place, marker, number, text))
    for node_id, node in nodes.items():
        x, y = place[node_id]
        kind = node.get("kind")
        fill = {"decision": "#fff7bf", "ending": "#cce2d8"}.get(str(kind), "#ffffff")
        start = node_id == spec.get("start")
        parts.append(
            Markup(
                '<g class="node" data-node="{id}"><title>{id}: {kind}</title>'
                '<rect x="{x}" y="{y}" width="{bw}" height="{bh}" rx="6" fill="{fill}"'
                ' stroke="#0b0c0c" stroke-width="{sw}"/>'
                '<text x="{tx}" y="{ty1}" font-family="arial, sans-serif" font-size="14"'
                ' font-weight="bold" text-anchor="middle" fill="#0b0c0c">{short}</text>'
                '<text x="{tx}" y="{ty2}" font-family="arial, sans-serif" font-size="13"'
                ' text-anchor="middle" fill="#0b0c0c">{kind}</text></g>'
            ).format(
                id=node_id,
                kind=("start, " if start else "") + _kind_line(node),
                x=x,
                y=y,
                bw=BOX_W,
                bh=BOX_H,
                fill=fill,
                sw=3 if start else 1.5,
                tx=x + BOX_W // 2,
                ty1=y + 21,
                ty2=y + 40,
                short=_short(node_id, ID_CHARS),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _edge_svg(
    edge: Edge, place: Mapping[str, tuple[int, int]], marker: str, n: int, text: str
) -> Markup:
    if edge.source not in place or edge.target not in place:
        return Markup("")  # an unknown target: the list and the validator say so
    sx, sy = place[edge.source]
    tx, ty = place[edge.target]
    if ty > sy:  # downwards: bottom middle to top middle
        x1, y1, x2, y2 = sx + BOX_W // 2, sy + BOX_H, tx + BOX_W // 2, ty
        d = f"M {x1} {y1} C {x1} {y1 + GAP_Y // 2} {x2} {y2 - GAP_Y // 2} {x2} {y2}"
        lx, ly = (x1 + x2) // 2, (y1 + y2) // 2
    else:  # back or sideways (a loop): round the right-hand side
        x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H // 2, tx + BOX_W, ty + BOX_H // 2
        bend = max(x1, x2) + 30 + 8 * n
        d = f"M {x1} {y1} C {bend} {y1} {bend} {y2} {x2} {y2}"
        lx, ly = bend - 10, (y1 + y2) // 2
    return Markup(
        '<g class="edge" data-from="{s}" data-to="{t}" data-label="{label}"><title>{s} to {t}'
        ' ({label})</title><path d="{d}" fill="none" stroke="#0b0c0c" stroke-width="1.5"'
        '{dash} marker-end="url(#{m})"/><text x="{lx}" y="{ly}" font-family="arial, sans-serif"'
        ' font-size="11" text-anchor="middle" fill="#484949">{short}</text></g>'
    ).format(
        s=edge.source,
        t=edge.target,
        label=edge.label,
        d=d,
        dash=Markup(' stroke-dasharray="6 4"') if edge.conditional else Markup(""),
        m=marker,
        lx=lx,
        ly=ly,
        short=_short(text, 16),
    )


# The list ---------------------------------------------------------------------------


def condition_words(condition: Any) -> str:
    """ "chosen: d.a" -> "“a” was chosen at d"; anything unreadable is quoted as written."""
    text = str(condition)
    head, _, rest = text.partition(":")
    head, rest = head.strip(), rest.strip()
    decision, dot, alternative = rest.partition(".")
    if head in ("chosen", "not chosen") and dot and decision and alternative:
        verb = "was chosen" if head == "chosen" else "was not chosen"
        return f"\u201c{alternative}\u201d {verb} at {decision}"
    return f"\u201c{text}\u201d"


def conditions_words(conditions: Any) -> str:
    items = (
        conditions
        if isinstance(conditions, Sequence) and not isinstance(conditions, str)
        else [conditions]
    )
    return " and ".join(condition_words(c) for c in items)


def _points(value: Any) -> str:
    number = value if isinstance(value, int) else 0
    return f"{number} point" + ("" if number == 1 else "s")


class _Outline:
    """Writes the nested list, each node in full once; a node met again is a link to it."""

    def __init__(self, spec: Mapping[str, Any], prefix: str) -> None:
        self.nodes = {n["id"]: n for n in nodes_of(spec)}
        self.prefix = prefix
        self.listed: set[str] = set()

    def anchor(self, node_id: str) -> str:
        return f"{self.prefix}-node-{node_id}"

    def link(self, node_id: str) -> Markup:
        if node_id not in self.nodes:
            return Markup("<strong>{}</strong> (no node has this id)").format(node_id)
        return Markup('<a class="govuk-link" href="#{}">{}</a> (listed above)').format(
            self.anchor(node_id), node_id
        )

    def chain(self, node_id: str) -> Markup:
        """An <ol> of the path from `node_id`: stories one after another, a decision's
        alternatives nested under it, until an ending or a node already listed."""
        items: list[Markup] = []
        current: str | None = node_id
        while current is not None:
            if current in self.listed or current not in self.nodes:
                items.append(Markup("<li>Go to {}</li>").format(self.link(current)))
                break
            self.listed.add(current)
            node = self.nodes[current]
            item, current = self.node(node)
            items.append(item)
        return Markup('<ol class="govuk-list app-scenario-outline">{}</ol>').format(
            Markup("").join(items)
        )

    def node(self, node: Mapping[str, Any]) -> tuple[Markup, str | None]:
        """One node's <li>, and the node that follows it in the same list (a story's next)."""
        node_id, kind = node["id"], node.get("kind")
        head = Markup("<strong>{kind}</strong> <code>{id}</code>").format(
            kind=KINDS.get(kind, f"Node of unknown kind {kind!r}") if kind else "Node", id=node_id
        )
        if isinstance(node.get("title"), str):
            head += Markup(": {}").format(node["title"])
        if isinstance(node.get("text"), str) and (kind == "decision" or not node.get("title")):
            # The situation a decision asks about; Markdown shown as typed, shortened.
            head += Markup(" — “{}”").format(_short(" ".join(node["text"].split()), 160))
        if kind == "ending":
            outcome = node.get("outcome")
            head += Markup(". Outcome: {}").format(OUTCOMES.get(str(outcome), str(outcome)))
        inner: list[Markup] = []
        if node.get("requires"):
            otherwise = node.get("otherwise")
            inner.append(
                Markup("<li>Only if {}; otherwise go on to: {}</li>").format(
                    conditions_words(node["requires"]),
                    self.chain(otherwise) if isinstance(otherwise, str) else "(none given)",
                )
            )
        following: str | None = None
        if kind == "decision":
            for alternative in _alternatives(node):
                inner.append(self.alternative(alternative))
            if not _alternatives(node):
                inner.append(Markup("<li>No alternatives yet</li>"))
        elif kind == "story":
            following = node.get("next") if isinstance(node.get("next"), str) else None
        body = Markup("").join(inner)
        if body:
            body = Markup('<ul class="govuk-list govuk-list--bullet">{}</ul>').format(body)
        item = Markup('<li id="{anchor}">{head}{body}</li>').format(
            anchor=self.anchor(node_id), head=head, body=body
        )
        return item, following

    def alternative(self, alternative: Mapping[str, Any]) -> Markup:
        words = Markup("Choice <code>{id}</code>: \u201c{text}\u201d, {points}").format(
            id=alternative.get("id", "?"),
            text=alternative.get("text", ""),
            points=_points(alternative.get("points")),
        )
        if alternative.get("findings"):
            words += Markup("; findings: {}").format(", ".join(map(str, alternative["findings"])))
        if alternative.get("requires"):
            words += Markup("; offered only if {}").format(
                conditions_words(alternative["requires"])
            )
        target = alternative.get("next")
        leads = self.chain(target) if isinstance(target, str) else Markup(" (leads nowhere yet)")
        return Markup("<li>{}. Leads to:{}</li>").format(words, leads)


def outline_html(spec: Mapping[str, Any], *, prefix: str = "scenario") -> Markup:
    """The graph as nested lists, saying all the picture shows: from the start node, each
    story in turn, each decision's alternatives (words, points, conditions) with where
    they lead, and each ending's outcome. A node already listed is linked, not repeated,
    so loops end; nodes the start never reaches are listed after."""
    outline = _Outline(spec, prefix)
    start = spec.get("start")
    parts: list[Markup] = []
    if isinstance(start, str) and start:
        parts.append(Markup('<p class="govuk-body">Starts at <code>{}</code>.</p>').format(start))
        parts.append(outline.chain(start))
    else:
        parts.append(Markup('<p class="govuk-body">No start node given.</p>'))
    rest = [node_id for node_id in outline.nodes if node_id not in outline.listed]
    if rest:
        parts.append(Markup('<p class="govuk-body">Not reachable from the start:</p>'))
        for node_id in rest:
            if node_id not in outline.listed:
                parts.append(outline.chain(node_id))
    return Markup('<div class="app-scenario-list">{}</div>').format(Markup("").join(parts))
