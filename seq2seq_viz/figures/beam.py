"""The beam-search tree: a tidy layout of every node, styled by status, with the best and the
greedy paths drawn over it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from seq2seq_viz.trace import NODE_STATUSES, BeamNode, DecodeTrace

from .common import GREY, ORANGE, PURPLE, STATUS_STYLE, auto_height, finish_layout, plain, shorten
from .labels import merge_labels

LABEL_PX = 14  # node labels: readable on a projector at 1920x1080
PRUNED_GAP = 0.1  # vertical slot of a pruned leaf (a live node's slot is 1)
MAX_HEIGHT = 800  # with the page's header and controls, the tree fits a 1080-pixel screen


def greedy_nodes(trace: DecodeTrace) -> list[BeamNode]:
    """A greedy run as the beam of width 1 it equals: one chain from <sos>, each node with the
    running sum of log p (the score beam search would give it); the last one is finished."""
    alpha = float(trace.settings.get("length_penalty", 0.6))
    root = BeamNode(id=0, parent=-1, step=-1, token="<sos>", token_id=-1, logp=0.0, score=0.0,
                    norm_score=0.0, status="kept", rank=0)  # fmt: skip
    nodes, score = [root], 0.0
    for step in trace.steps:
        score += step.logp
        status = "finished" if step.t == trace.n_steps - 1 else "kept"
        norm = score / ((5.0 + step.t + 1) / 6.0) ** alpha
        node = BeamNode(id=step.t + 1, parent=step.t, step=step.t, token=step.token,
                        token_id=step.token_id, logp=step.logp, score=score, norm_score=norm,
                        status=status, rank=0)  # fmt: skip
        nodes.append(node)
    return nodes


def _tree_nodes(trace: DecodeTrace) -> dict[int, BeamNode]:
    """All beam nodes by id, after checking ids, parents and statuses (a greedy trace: its
    chain, see greedy_nodes)."""
    listed = trace.beam_nodes
    if not listed and trace.mode == "greedy" and trace.steps:
        listed = greedy_nodes(trace)
    if not listed:
        raise ValueError("the trace has no beam-search tree (decode with beam search)")
    nodes = {node.id: node for node in listed}
    if len(nodes) != len(listed):
        raise ValueError("beam_nodes has repeated ids")
    for node in nodes.values():
        if node.parent != -1 and node.parent not in nodes:
            raise ValueError(f"beam node {node.id} has unknown parent {node.parent}")
        if node.status not in NODE_STATUSES:
            raise ValueError(f"beam node {node.id} has unknown status {node.status!r}")
    return nodes


def _children(nodes: Mapping[int, BeamNode]) -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {i: [] for i in nodes}
    for node in sorted(nodes.values(), key=lambda nd: (nd.rank, nd.id)):
        if node.parent in kids:
            kids[node.parent].append(node.id)
    return kids


def tree_layout(nodes: Mapping[int, BeamNode], pruned_gap: float = 1.0) -> dict[int, float]:
    """Tidy y positions: leaves in depth-first order, a parent at the mean of its children.

    A leaf takes a slot of height 1 (``pruned_gap`` for a pruned leaf), so leaves never overlap
    and a parent lies inside its own children's range: no two nodes of one step coincide.
    """
    kids, y, start = _children(nodes), {}, {}
    cursor = 0.0
    roots = sorted(i for i, node in nodes.items() if node.parent not in nodes)
    stack: list[tuple[int, bool]] = [(r, False) for r in reversed(roots)]
    while stack:  # iterative post-order, so deep trees cannot hit the recursion limit
        i, expanded = stack.pop()
        if not kids[i]:
            size = pruned_gap if nodes[i].status == "pruned" else 1.0
            y[i], cursor = cursor + size / 2, cursor + size
        elif expanded:
            pad = 1.0 - (cursor - start[i])  # a live node keeps a slot of 1 (for its label)
            if pad > 0 and nodes[i].status != "pruned":
                for k in kids[i]:  # only pruned leaves can make a span under 1
                    y[k] += pad / 2
                cursor += pad
            y[i] = float(np.mean([y[k] for k in kids[i]]))
        else:
            start[i] = cursor
            stack.append((i, True))
            stack.extend((k, False) for k in reversed(kids[i]))
    return y


def _path_to_root(nodes: Mapping[int, BeamNode], node_id: int) -> list[int]:
    path = []
    while node_id in nodes:
        path.append(node_id)
        node_id = nodes[node_id].parent
    return path[::-1]


def _greedy_path(nodes: Mapping[int, BeamNode], tokens: Sequence[str]) -> list[int]:
    """Follow the greedy tokens from the root through the tree as far as the tree goes."""
    kids = _children(nodes)
    roots = [i for i, node in nodes.items() if node.parent == -1]
    if not roots or not tokens:
        return []
    path = [roots[0]]
    for token in tokens:
        nxt = [k for k in kids[path[-1]] if nodes[k].token == token]
        if not nxt:
            break
        path.append(nxt[0])
    return path if len(path) > 1 else []


def _path_trace(
    nodes: Mapping[int, BeamNode],
    y: Mapping[int, float],
    path: Sequence[int],
    name: str,
    line: dict[str, Any],
    **style: Any,
) -> go.Scatter:
    """A path through the tree (node ids, root first) drawn as a line without hover."""
    x, ys = [nodes[i].step for i in path], [y[i] for i in path]
    return go.Scatter(x=x, y=ys, mode="lines", name=name, line=line, hoverinfo="skip", **style)


def _edges(nodes: Mapping[int, BeamNode], y: Mapping[int, float]) -> dict:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for node in nodes.values():
        if node.parent in nodes:
            xs += [nodes[node.parent].step, node.step, None]
            ys += [y[node.parent], y[node.id], None]
    return {"x": xs, "y": ys}


def _node_text(node: BeamNode, with_score: bool) -> str:
    """A live or finished node's label: its token and its cumulative score (sum of log p)."""
    token = plain(shorten(node.token))
    return f"{token} {node.score:.2f}" if with_score else token


def _status_trace(
    nodes: list[BeamNode],
    y: Mapping[int, float],
    status: str,
    show_text: bool,
    lab: Mapping[str, str],
) -> go.Scatter:
    colour, symbol = STATUS_STYLE[status]
    data = [[plain(n.token), n.logp, n.score, n.norm_score, lab[status], n.rank] for n in nodes]
    hover = "<br>".join(
        f"{lab[key]}: %{{customdata[{i}]{fmt}}}"
        for i, (key, fmt) in enumerate(
            [
                ("token", ""),
                ("logp", ":.3f"),
                ("cum_score", ":.3f"),
                ("norm_score", ":.3f"),
                ("status", ""),
                ("rank", ""),
            ]
        )
    )
    return go.Scatter(
        x=[n.step for n in nodes],
        y=[y[n.id] for n in nodes],
        customdata=data,
        name=lab[status],
        mode="markers+text" if show_text else "markers",
        text=[_node_text(n, show_text) for n in nodes],
        textposition="top center",
        textfont={"size": LABEL_PX},
        marker={"color": colour, "symbol": symbol, "size": 11 if status != "pruned" else 7},
        hovertemplate=hover + "<extra></extra>",
    )


def _add_paths(
    fig: go.Figure,
    trace: DecodeTrace,
    nodes: Mapping[int, BeamNode],
    y: Mapping[int, float],
    lab: Mapping[str, str],
) -> None:
    """The best hypothesis's path (thick) and the greedy path (dashed), as far as visible."""
    best: list[int] = []
    if trace.hypotheses:
        every = _tree_nodes(trace)
        best = [i for i in _path_to_root(every, trace.hypotheses[0].node_id) if i in nodes]
    elif not trace.beam_nodes:  # greedy: its one chain is the best (and only) hypothesis
        best = sorted(nodes)
    if best:
        line = {"color": ORANGE, "width": 7}
        fig.add_trace(_path_trace(nodes, y, best, lab["best_path"], line, opacity=0.6))
    greedy = _greedy_path(nodes, trace.greedy_tokens)
    if greedy:
        line = {"color": PURPLE, "width": 2.5, "dash": "dash"}
        fig.add_trace(_path_trace(nodes, y, greedy, lab["greedy_path"], line))


def beam_tree_figure(
    trace: DecodeTrace,
    upto_step: int | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    height: int | None = None,
    template: str | None = None,
) -> go.Figure:
    """The beam-search tree: x = output position, kept/pruned/finished styled apart,
    best hypothesis thick, greedy path dashed; nodes after ``upto_step`` hidden.

    The layout and axes come from the whole tree, so nodes stay put as ``upto_step`` grows.
    Kept and finished nodes are labelled with their token and cumulative score (LABEL_PX);
    pruned ones are small crosses packed close together (token and scores on hover), so a
    beam of 5 fits a 1080-pixel screen (the height is capped at MAX_HEIGHT)."""
    lab, every = merge_labels(labels), _tree_nodes(trace)
    nodes = {i: n for i, n in every.items() if upto_step is None or n.step <= upto_step}
    y = tree_layout(every, pruned_gap=PRUNED_GAP)
    fig = go.Figure()
    edges = _edges(nodes, y)
    fig.add_scatter(
        **edges, mode="lines", line={"color": GREY, "width": 1}, hoverinfo="skip", showlegend=False
    )
    _add_paths(fig, trace, nodes, y, lab)
    for status in NODE_STATUSES:
        group = [node for node in nodes.values() if node.status == status]
        fig.add_trace(_status_trace(group, y, status, status != "pruned", lab))
    last = max(node.step for node in every.values())
    fig.update_xaxes(title={"text": lab["step"]}, dtick=1, range=[-1.5, last + 0.7], zeroline=False)
    span = max(y.values()) + 0.5
    fig.update_yaxes(visible=False, range=[span, -0.5])
    auto = min(auto_height(None, round(span), 26, 150, least=320), MAX_HEIGHT)
    fig = finish_layout(fig, lab["beam_title"], height or auto, template)
    # the legend starts at the root's side: a tree wider than a phone is seen from there first
    return fig.update_layout(legend={"x": 0, "xanchor": "left"})
