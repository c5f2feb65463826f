"""The attention edit kept in the URL: ``edit=STEP:w0,w1,...`` and ``mask=i,j``.

:func:`parse_edit` never raises: anything wrong (not a number, NaN, inf, a negative or all-zero
weight, a wrong count, a step or position out of range, a mask that hides every word) gives a
translated message and no edit at all, so the page shows the unedited run. No streamlit here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from seq2seq_viz.i18n import tr

MAX_PARAM_CHARS = 4000


@dataclass(frozen=True)
class Edit:
    """A checked edit: ``step`` and ``weights`` (None when no step is edited), masked positions,
    and the messages that explain what was refused (then the rest is empty too)."""

    step: int | None = None
    weights: tuple[float, ...] | None = None
    masked: tuple[int, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return self.weights is not None or bool(self.masked)

    def override(self) -> dict[int, tuple[float, ...]]:
        return {} if self.step is None or self.weights is None else {self.step: self.weights}


class _Refused(ValueError):
    pass


def parse_edit(raw_edit: str | None, raw_mask: str | None, n_src: int, n_steps: int) -> Edit:
    """Check the URL's edit against a sentence of n_src tokens decoded in n_steps steps."""
    try:
        masked = _parse_mask(raw_mask, n_src)
        step, weights = _parse_weights(raw_edit, n_src, n_steps)
        if weights is not None and masked and all(weights[i] == 0 for i in _kept(masked, n_src)):
            raise _Refused(tr("steer.err.only_masked"))
    except _Refused as err:
        return Edit(errors=(str(err),))
    return Edit(step, weights, masked)


def _kept(masked: tuple[int, ...], n_src: int) -> list[int]:
    return [i for i in range(n_src) if i not in masked]


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _Refused(tr("steer.err.not_number", value=text[:20])) from None
    if not math.isfinite(value):
        raise _Refused(tr("steer.err.not_finite", value=text[:20]))
    return value


def _integer(text: str, message: str) -> int:
    text = text.strip()
    if not text.isdigit() and not (text.startswith("-") and text[1:].isdigit()):
        raise _Refused(tr(message, value=text[:20]))
    return int(text)


def _parse_weights(
    raw: str | None, n_src: int, n_steps: int
) -> tuple[int | None, tuple[float, ...] | None]:
    if raw is None or not raw.strip():
        return None, None
    if len(raw) > MAX_PARAM_CHARS or ":" not in raw:
        raise _Refused(tr("steer.err.format"))
    head, _, body = raw.partition(":")
    step = _integer(head, "steer.err.step_not_number")
    if not 0 <= step < n_steps:
        raise _Refused(tr("steer.err.step_range", step=step, last=n_steps - 1))
    weights = tuple(_number(x.strip()) for x in body.split(","))
    if len(weights) != n_src:
        raise _Refused(tr("steer.err.length", given=len(weights), n=n_src))
    if any(w < 0 for w in weights):
        raise _Refused(tr("steer.err.negative"))
    if sum(weights) <= 0:
        raise _Refused(tr("steer.err.all_zero"))
    return step, weights


def _parse_mask(raw: str | None, n_src: int) -> tuple[int, ...]:
    if raw is None or not raw.strip():
        return ()
    if len(raw) > MAX_PARAM_CHARS:
        raise _Refused(tr("steer.err.format"))
    positions = {_integer(x, "steer.err.mask_not_number") for x in raw.split(",") if x.strip()}
    bad = sorted(i for i in positions if not 0 <= i < n_src)
    if bad:
        raise _Refused(tr("steer.err.mask_range", value=bad[0], last=n_src - 1))
    if len(positions) >= n_src:
        raise _Refused(tr("steer.err.mask_all"))
    return tuple(sorted(positions))


def format_edit(step: int, weights: list[float] | tuple[float, ...]) -> str:
    """The URL value of an edit (weights renormalised, 4 decimals)."""
    total = float(sum(weights))
    return f"{step}:" + ",".join(f"{w / total:.4g}" for w in weights)


def format_mask(masked: list[int] | tuple[int, ...]) -> str:
    return ",".join(str(i) for i in sorted(masked))
