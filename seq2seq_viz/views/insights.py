"""When does each attention variant help? Sentences grounded in our own models' numbers.

Pure functions (no streamlit): from results.json's per-model rows and each model's ``align`` /
``score`` / ``self_attn`` settings, pick the comparisons worth telling and return them as
(i18n key, format fields) pairs, so the numbers are read at render time, never hard-coded.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

Row = Mapping[str, Any]
Insight = tuple[str, dict[str, Any]]
METRIC = "bleu_greedy"


def _bleu(row: Row | None) -> float | None:
    value = (row or {}).get(METRIC)
    return float(value) if isinstance(value, (int, float)) else None


def _by_kind(kinds: Mapping[str, str], results: Mapping[str, Row]) -> dict[str, list[str]]:
    """Evaluated model names per kind (global, local-m, local-p, hard, none, self-attn)."""
    groups: dict[str, list[str]] = {}
    for name, kind in kinds.items():
        if _bleu(results.get(name)) is not None:
            groups.setdefault(kind, []).append(name)
    return groups


def _best(names: list[str], results: Mapping[str, Row]) -> str:
    return max(names, key=lambda n: _bleu(results[n]) or 0.0)


def _buckets(row: Row) -> list[Row]:
    return [b for b in row.get("bleu_by_length") or [] if isinstance(b.get("bleu"), (int, float))]


def attention_vs_none(groups: dict, results: Mapping[str, Row]) -> list[Insight]:
    if "none" not in groups or "global" not in groups:
        return []
    none, best = groups["none"][0], _best(groups["global"], results)
    out: list[Insight] = [
        (
            "insight.none",
            {
                "att": best,
                "none": none,
                "bleu_att": _bleu(results[best]),
                "bleu_none": _bleu(results[none]),
            },
        )
    ]
    att = {b["bucket"]: float(b["bleu"]) for b in _buckets(results[best])}
    fixed = [b for b in _buckets(results[none]) if b["bucket"] in att]
    if len(fixed) >= 2:
        first, last = fixed[0], fixed[-1]
        gap_short = att[first["bucket"]] - float(first["bleu"])
        gap_long = att[last["bucket"]] - float(last["bleu"])
        fields = {
            "short": first["bucket"],
            "long": last["bucket"],
            "gap_short": gap_short,
            "gap_long": gap_long,
        }
        out.append((_length_gap_key(gap_short, gap_long), fields))
    return out


def _length_gap_key(gap_short: float, gap_long: float) -> str:
    """What the gap between attention and none does from the shortest to the longest bucket:
    grows, grows from nothing (none keeps up on short sentences), or does not grow."""
    if gap_long <= gap_short:
        return "insight.none_length_flat"
    return "insight.none_length" if gap_short > 0 else "insight.none_length_short"


def length_trend(groups: dict, results: Mapping[str, Row]) -> list[Insight]:
    """How the best attention model's BLEU changes from the shortest to the longest bucket."""
    if not groups.get("global"):
        return []
    best = _best(groups["global"], results)
    buckets = _buckets(results[best])
    if len(buckets) < 2:
        return []
    first, last = buckets[0], buckets[-1]
    return [
        (
            "insight.length",
            {
                "model": best,
                "short": first["bucket"],
                "long": last["bucket"],
                "bleu_short": float(first["bleu"]),
                "bleu_long": float(last["bleu"]),
            },
        )
    ]


def _versus(key: str, names: list[str], base: str, results: Mapping[str, Row]) -> list[Insight]:
    """One sentence per model in `names`, its BLEU next to the base model's."""
    out = []
    for name in names:
        diff = (_bleu(results[name]) or 0.0) - (_bleu(results[base]) or 0.0)
        verdict = "better" if diff > 0.5 else "worse" if diff < -0.5 else "same"
        out.append(
            (
                f"{key}.{verdict}",
                {
                    "model": name,
                    "base": base,
                    "bleu": _bleu(results[name]),
                    "bleu_base": _bleu(results[base]),
                    "diff": abs(diff),
                },
            )
        )
    return out


def score_functions(
    groups: dict, scores: Mapping[str, str], results: Mapping[str, Row]
) -> list[Insight]:
    soft = groups.get("global", [])
    if len({scores[n] for n in soft}) < 2:
        return []
    ranked = sorted(soft, key=lambda n: -(_bleu(results[n]) or 0.0))
    listing = ", ".join(f"{n} ({scores[n]}) {_bleu(results[n]):.1f}" for n in ranked)
    return [("insight.scores", {"listing": listing, "best": ranked[0]})]


def entropy_note(groups: dict, results: Mapping[str, Row]) -> list[Insight]:
    rows = [(n, results[n].get("entropy")) for names in groups.values() for n in names]
    rows = [(n, float(e)) for n, e in rows if isinstance(e, (int, float)) and e > 0]
    if len(rows) < 2:
        return []
    sharp, flat = min(rows, key=lambda r: r[1]), max(rows, key=lambda r: r[1])
    return [
        (
            "insight.entropy",
            {"sharp": sharp[0], "e_sharp": sharp[1], "flat": flat[0], "e_flat": flat[1]},
        )
    ]


def insights(
    kinds: Mapping[str, str],
    scores: Mapping[str, str],
    results: Mapping[str, Row],
    cohorts: Mapping[str, Hashable] | None = None,
) -> list[Insight]:
    """All comparisons the evaluated models allow. `kinds`: model -> global / local-m /
    local-p / hard / none / self-attn; `scores`: model -> dot / general / concat.

    `cohorts`: model -> what must match for a fair comparison (the app passes the cell and the
    epochs trained). Models are only compared within one cohort; the sentences of every cohort
    are returned, the largest cohort first. None: one cohort."""
    return [
        item for _, found in insights_by_cohort(kinds, scores, results, cohorts) for item in found
    ]


def insights_by_cohort(
    kinds: Mapping[str, str],
    scores: Mapping[str, str],
    results: Mapping[str, Row],
    cohorts: Mapping[str, Hashable] | None = None,
) -> list[tuple[list[str], list[Insight]]]:
    """`insights`, kept apart per cohort: (the cohort's model names, its sentences), the
    largest cohort first; cohorts with nothing to say are left out."""
    cohorts = cohorts or {}
    members: dict[Hashable, dict[str, str]] = {}
    for name, kind in kinds.items():
        members.setdefault(cohorts.get(name), {})[name] = kind
    out = []
    for group in sorted(members.values(), key=lambda g: -len(g)):
        found = _cohort_insights(group, scores, results)
        if found:
            out.append((list(group), found))
    return out


def _cohort_insights(
    kinds: Mapping[str, str], scores: Mapping[str, str], results: Mapping[str, Row]
) -> list[Insight]:
    groups = _by_kind(kinds, results)
    out = attention_vs_none(groups, results) or length_trend(groups, results)
    out += score_functions(groups, scores, results)
    if groups.get("global"):
        base = _best(groups["global"], results)
        for kind in ("local-m", "local-p", "hard", "self-attn"):
            out += _versus(f"insight.{kind}", groups.get(kind, []), base, results)
    return out + entropy_note(groups, results)


def kind_of(align: str, self_attn: bool) -> str:
    return "self-attn" if self_attn else align


def length_memory(
    names: list[str], results: Mapping[str, Row]
) -> tuple[str, str, list[tuple[str, float, float, float]]] | None:
    """How much of its BLEU on the shortest sources each model keeps on the longest: the
    buckets compared (the first and the last that every model has) and, per model, (name,
    BLEU short, BLEU long, kept = long / short), the best keeper first. None: fewer than two
    models with BLEU by length, or no two buckets in common."""
    rows = {
        n: {b["bucket"]: float(b["bleu"]) for b in _buckets(results.get(n) or {})} for n in names
    }
    rows = {n: r for n, r in rows.items() if r}
    if len(rows) < 2:
        return None
    order = [b["bucket"] for b in _buckets(results[next(iter(rows))])]
    common = [b for b in order if all(b in r for r in rows.values())]
    if len(common) < 2:
        return None
    short, long = common[0], common[-1]
    kept = [
        (n, r[short], r[long], r[long] / r[short] if r[short] > 0 else 0.0) for n, r in rows.items()
    ]
    return short, long, sorted(kept, key=lambda k: -k[3])


def memory_verdicts(
    kept: list[tuple[str, float, float, float]],
    cells: Mapping[str, str],
    attends: Mapping[str, bool],
) -> list[Insight]:
    """The lecture notes' two claims, checked on `length_memory`'s numbers (one budget):
    attention keeps more of a long sentence than no attention with the same cell; a gated cell
    (every LSTM and GRU) with attention keeps more than the plain RNN with attention. A claim is
    only judged when both sides have a model; "agree" or "disagree" is what the numbers say."""
    share = {n: k for n, _, _, k in kept}
    out: list[Insight] = []
    for cell in sorted({cells[n] for n in share}):
        att = [share[n] for n in share if cells[n] == cell and attends[n]]
        plain = [share[n] for n in share if cells[n] == cell and not attends[n]]
        if att and plain:
            verdict = "agree" if min(att) > max(plain) else "disagree"
            out.append((f"cell.memory_attention.{verdict}", {"cell": cell.upper()}))
    rnn = [share[n] for n in share if cells[n] == "rnn" and attends[n]]
    gated = sorted({cells[n] for n in share if cells[n] in ("lstm", "gru") and attends[n]})
    if rnn and gated:
        worst = min(share[n] for n in share if cells[n] in gated and attends[n])
        verdict = "agree" if worst > max(rnn) else "disagree"
        out.append((f"cell.memory_gates.{verdict}", {"gated": ", ".join(c.upper() for c in gated)}))
    return out
