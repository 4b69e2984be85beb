"""Meta-optimisation: the CEM's weights fitted from the mind's history.

The outcome of a thought, in [0, 1]: the person's feedback if they gave it (``:good`` /
``:bad`` in the REPL, ``mind feedback: 'good'``: 1 or 0); otherwise the mean of what the
image itself shows -- whether the quality gate passed the first weave (1 or 0), and the
share of the facets written in that thought that are still installed (model-written code
someone removed did not serve).

The method: over the recorded thoughts (at least ``MIN_THOUGHTS``), each component's
Pearson correlation with the outcome; the target weights are max(r, 0) + ``FLOOR``,
normalised to sum to 1 (a component that does not predict a good outcome keeps a floor,
so it is still measured); the new weights move ``RATE`` of the way from the old ones to
the target. A change smaller than ``MIN_CHANGE`` is not made. Every change is logged with
its reason (``series.set_weights``) in the transaction that made it, so ``uvm undo``
takes it back.
"""
from __future__ import annotations

import math

from uvm.cognition.cem import series
from uvm.cognition.cem.metrics import COMPONENTS

MIN_THOUGHTS = 8
FLOOR = 0.05
RATE = 0.5
MIN_CHANGE = 0.005


class TuningError(Exception):
    """Too little history to tune from."""


def outcome(record: dict, feedback: dict[str, int], surviving=None) -> float:
    """A thought's outcome (the module docstring); ``surviving(written)`` answers the share
    of its written facets still installed."""
    if record["id"] in feedback:
        return float(feedback[record["id"]])
    signals = [1.0 if record.get("gate_first_pass") else 0.0]
    if record.get("written") and surviving is not None:
        signals.append(surviving(record["written"]))
    return sum(signals) / len(signals)


def pearson(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sx * sy)


def fit(records: list[dict], outcomes: list[float], old: dict[str, float]) -> tuple[dict, dict]:
    """(new weights, each component's correlation with the outcome)."""
    if len(records) < MIN_THOUGHTS:
        raise TuningError(f"tuning needs at least {MIN_THOUGHTS} recorded thoughts "
                          f"(there are {len(records)})")
    corr = {k: pearson([r["components"][k] for r in records], outcomes) for k in COMPONENTS}
    raw = {k: max(corr[k], 0.0) + FLOOR for k in COMPONENTS}
    total = sum(raw.values())
    target = {k: raw[k] / total for k in COMPONENTS}
    old_total = sum(old.values()) or 1.0
    new = {k: (1 - RATE) * old[k] / old_total + RATE * target[k] for k in COMPONENTS}
    return {k: round(v, 4) for k, v in new.items()}, corr


def surviving_in(image):
    """``surviving(written)`` for this image: the share of (persona, selector) still there."""
    from uvm.cognition.facets import facet_status
    from uvm.cognition.personas import codex_of, personas_of
    by_name = {codex_of(p).name: p for p in personas_of(image.lobby)}

    def surviving(written) -> float:
        alive = 0
        for name, selector in written:
            persona = by_name.get(name)
            if persona is not None and any(s.selector == selector and s.written
                                           for s in facet_status(persona)):
                alive += 1
        return alive / len(written)
    return surviving


def tune(image) -> dict | None:
    """Fit the weights on the image's history and keep them (in the current transaction);
    the log entry, or None when the change would be too small to make."""
    root = image.connection.root()
    history = series.records(root)
    given = series.feedback(root)
    surviving = surviving_in(image)
    outcomes = [outcome(r, given, surviving) for r in history]
    old = series.weights(root)
    new, corr = fit(history, outcomes, old)
    if max(abs(new[k] - old[k]) for k in COMPONENTS) < MIN_CHANGE:
        return None
    rated = sum(r["id"] in given for r in history)
    reason = (f"fitted on {len(history)} thoughts ({rated} with feedback): correlation with the "
              "outcome " + ", ".join(f"H_{k} {corr[k]:+.2f}" for k in COMPONENTS))
    return series.set_weights(root, new, reason, "correlation")
