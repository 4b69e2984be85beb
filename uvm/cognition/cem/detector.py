"""Entropic decay: when the mind's recent thinking has stagnated.

Over the last ``window`` thoughts (only those after the last mission: a mission is judged
on a fresh window), three signals, in this order:

- ``rut``: one component was the lowest in at least ``RUT_SHARE`` of the window's
  thoughts and its mean is below ``LOW`` -- the same weakness every time;
- ``flat``: the CEM's mean is below ``FLAT_BELOW`` and it moved less than ``FLAT_RANGE``
  over the window -- stuck low;
- ``falling``: the window's CEM mean is more than ``DROP`` below the window before it;
  the component that fell most is named.

Each names the component a mission should raise (for ``flat``, the lowest on average).
A healthy run -- components that take turns being lowest, a CEM that moves and stays
up -- raises none.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from uvm.cognition.cem.metrics import COMPONENTS

RUT_SHARE = 0.7
LOW = 0.4
FLAT_BELOW = 0.45
FLAT_RANGE = 0.08
DROP = 0.1


@dataclass(frozen=True)
class Signal:
    kind: str           # rut | flat | falling
    component: str      # rel | cog | sol | struc
    detail: str
    window: int         # thoughts looked at
    cem_mean: float
    component_mean: float

    def to_json(self) -> dict:
        return asdict(self)


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def detect(recent: list[dict], window: int, before: list[dict] = ()) -> Signal | None:
    """``recent``: the records since the last mission, oldest first; ``before``: the ones
    preceding them (for ``falling``). None when the window is not full or all is well."""
    if window < 2 or len(recent) < window:
        return None
    win = recent[-window:]
    comps = [r["components"] for r in win]
    means = {k: _mean(c[k] for c in comps) for k in COMPONENTS}
    cems = [r["cem"] for r in win]
    cem_mean = _mean(cems)
    lowest = Counter(min(COMPONENTS, key=lambda k: c[k]) for c in comps)
    weak, times = lowest.most_common(1)[0]
    if times >= RUT_SHARE * window and means[weak] < LOW:
        return Signal("rut", weak, f"H_{weak} was the lowest in {times} of the last {window} thoughts "
                      f"(mean {means[weak]:.2f} < {LOW})", window, round(cem_mean, 4),
                      round(means[weak], 4))
    if cem_mean < FLAT_BELOW and max(cems) - min(cems) < FLAT_RANGE:
        weak = min(COMPONENTS, key=means.get)
        return Signal("flat", weak, f"the CEM stayed between {min(cems):.2f} and {max(cems):.2f} "
                      f"(mean {cem_mean:.2f} < {FLAT_BELOW}) over {window} thoughts; H_{weak} is "
                      f"the lowest", window, round(cem_mean, 4), round(means[weak], 4))
    earlier = (list(before) + recent[:-window])[-window:]
    if len(earlier) == window:
        old = {k: _mean(r["components"][k] for r in earlier) for k in COMPONENTS}
        old_cem = _mean(r["cem"] for r in earlier)
        if old_cem - cem_mean > DROP:
            weak = max(COMPONENTS, key=lambda k: old[k] - means[k])
            return Signal("falling", weak, f"the CEM fell from {old_cem:.2f} to {cem_mean:.2f} "
                          f"over {2 * window} thoughts; H_{weak} fell most "
                          f"({old[weak]:.2f} -> {means[weak]:.2f})", window, round(cem_mean, 4),
                          round(means[weak], 4))
    return None
