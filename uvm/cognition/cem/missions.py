"""Self-improvement missions: what a stagnation signal starts (``live.audit``).

A mission is led by the persona whose codex names the weak component (the seed's Table 5:
ROBIN H_cog, BRICK H_sol, BABS H_struc, ALFRED H_rel), runs inside the audit's
transaction (one transaction, origin ``autotelic``, so ``uvm undo`` takes it back whole)
and is kept in ``root['uvm.cem.missions']`` (an OOBTree keyed by time) with the signal
that started it and what it changed.

- H_cog and H_struc, ``widen router`` (ROBIN, BABS): re-calibrate the router from the
  window's routings so the persona the window left out -- the best scored of the least
  used -- is picked beside the winner: the margin becomes the median gap between them
  (and that persona's threshold is lowered to its lowest score in the window). More
  personas per thought is more diverse use and a larger trace graph.
- H_sol, ``absurd synthesis`` (BRICK): BRICK fuses recent answers into one surprising
  idea, which is remembered (O-RAG), so later thoughts that recall it have something new
  to draw on.
- H_rel, ``recalibrate gate`` (ALFRED): the quality gate's relevance threshold rises to
  the window's median cosine (at least one step, at most ``GATE_MAX``), so answers as
  weak as the window's worse half are sent back to be woven again.

A mission is not repeated for a component the same mission did not raise the last time
(its mean in the new window is not ``HELPED`` above the one that started it): the audit
says so instead.
"""
from __future__ import annotations

import math
import time

from uvm.cognition import gate, personas, recollection, thoughts
from uvm.cognition.cem import series
from uvm.cognition.cem.detector import Signal
from uvm.cognition.personas import codex_of, personas_of
from uvm.runtime.errors import UvmError

MISSIONS_KEY = "uvm.cem.missions"
MAX_MARGIN = 0.2
MARGIN_STEP = 0.02
GATE_STEP = 0.02
GATE_MAX = 0.45
HELPED = 0.02          # a component this much higher than before the last such mission
SYNTHESIS_ANSWERS = 5
SYNTHESIS_TOKENS = 90
KINDS = {"cog": "widen router", "struc": "widen router", "sol": "absurd synthesis",
         "rel": "recalibrate gate"}


class MissionError(UvmError):
    """A mission found nothing it could change."""


def leader(image, component: str):
    """The persona whose codex serves ``component`` (None if no persona does)."""
    for p in personas_of(image.lobby):
        if codex_of(p).cem_component.lower() == f"h_{component}":
            return p
    return None


def missions(root) -> list[dict]:
    tree = root.get(MISSIONS_KEY)
    return [dict(tree[k]) for k in tree.keys()] if tree is not None else []


def last_mission_id(root) -> str | None:
    tree = root.get(MISSIONS_KEY)
    return tree.maxKey() if tree is not None and len(tree) else None


def run(image, signal: Signal, window: list[dict]) -> dict:
    """Start the mission for ``signal`` on the ``window``'s records (in the current
    transaction) and keep its record."""
    kind = KINDS[signal.component]
    _check_it_helped(image.connection.root(), signal, kind)
    lead = leader(image, signal.component)
    changed = {"widen router": _widen_router, "absurd synthesis": _absurd_synthesis,
               "recalibrate gate": _recalibrate_gate}[kind](image, window, lead)
    record = {"id": thoughts.new_id(), "time": time.time(), "mission": kind,
              "persona": codex_of(lead).name if lead is not None else None,
              "signal": signal.to_json(), "changed": changed,
              "window": [r["id"] for r in window]}
    series.root_tree(image.connection.root(), MISSIONS_KEY, create=True)[record["id"]] = record
    return record


def _check_it_helped(root, signal: Signal, kind: str) -> None:
    """The same mission is not repeated for a component it did not raise last time."""
    earlier = [m for m in missions(root) if m["mission"] == kind
               and m["signal"]["component"] == signal.component]
    if earlier:
        last = earlier[-1]
        before = last["signal"]["component_mean"]
        if signal.component_mean < before + HELPED:
            raise MissionError(f"the last {kind} ({last['id'][:15]}) did not raise "
                               f"H_{signal.component} ({before:.2f} then, {signal.component_mean:.2f} "
                               "now), so it is not repeated")


def describe(record: dict, with_signal: bool = True) -> str:
    who = f"{record['persona']}'s " if record.get("persona") else ""
    s = record["signal"]
    why = f" ({s['kind']}: {s['detail']})" if with_signal else ""
    return f"{who}{record['mission']}{why}: {summary_of_change(record['changed'])}"


def summary_of_change(changed: dict) -> str:
    if "margin" in changed:
        parts = [f"router margin {changed['margin'][0]:.2f} -> {changed['margin'][1]:.2f}"]
        parts += [f"{n}'s threshold {a:.2f} -> {b:.2f}" for n, (a, b) in changed.get("thresholds", {}).items()]
        return "; ".join(parts) + f" (so {changed['persona']} is picked beside the winner)"
    if "relevance_threshold" in changed:
        a, b = changed["relevance_threshold"]
        return f"the gate's relevance threshold {a:.2f} -> {b:.2f}"
    if "insight" in changed:
        where = "remembered" if changed.get("memory") is not None else "kept with the mission"
        return f"an absurd synthesis, {where}: {changed['insight'][:120]!r}"
    return str(changed)


# --- the missions ------------------------------------------------------------------------------------

def _widen_router(image, window: list[dict], lead) -> dict:
    from uvm.cognition import router
    routed = [r for r in window if r.get("ranking")]
    if not routed:
        raise MissionError("the window's thoughts were not routed (a persona was asked "
                           "directly), so re-calibrating the router cannot change them")
    used = {}
    for r in window:
        for p in r["personas"]:
            used[p] = used.get(p, 0) + 1
    names = [n for n, _ in routed[0]["ranking"]]
    fewest = min(used.get(n, 0) for n in names)
    left_out = [n for n in names if used.get(n, 0) == fewest]
    mean_score = {n: _mean(dict(r["ranking"]).get(n, 0.0) for r in routed) for n in left_out}
    chosen = max(left_out, key=mean_score.get)
    gaps = sorted(r["ranking"][0][1] - dict(r["ranking"]).get(chosen, 0.0) for r in routed)
    settings = router.settings_for(image)
    old_margin, old_threshold = settings.margin, settings.threshold(chosen)
    median = gaps[len(gaps) // 2]
    margin = min(MAX_MARGIN, max(math.ceil(median * 100) / 100 + 0.01, old_margin + MARGIN_STEP))
    lowest = min(dict(r["ranking"]).get(chosen, 0.0) for r in routed)
    threshold = min(old_threshold, math.floor(lowest * 100) / 100)
    if round(margin, 4) <= old_margin and threshold >= old_threshold:
        raise MissionError(f"the router is already as wide as a mission makes it (margin "
                           f"{old_margin:.2f}, {chosen}'s threshold {old_threshold:.2f})")
    settings.margin = round(margin, 4)
    settings.thresholds = {**settings.thresholds, chosen: round(threshold, 4)}
    settings.fitted_on = f"a self-improvement mission ({time.strftime('%Y-%m-%d %H:%M')})"
    router.save_settings(image, settings)
    return {"persona": chosen, "margin": [old_margin, settings.margin],
            "thresholds": {chosen: [old_threshold, threshold]}, "median_gap": round(median, 4)}


def _absurd_synthesis(image, window: list[dict], lead) -> dict:
    if lead is None:
        raise MissionError("no persona serves H_sol (BRICK's codex names it)")
    tree = image.connection.root().get(thoughts.ROOT_KEY)
    answers = [tree[r["id"]]._slots.get("answer") for r in window[-SYNTHESIS_ANSWERS:]
               if tree is not None and r["id"] in tree]
    answers = [a for a in answers if isinstance(a, str) and a.strip()]
    if len(answers) < 2:
        raise MissionError("fewer than two recent answers to fuse")
    codex = codex_of(lead)
    system = (f"You are {codex.name}. {codex.mandate} Your protocol is Absurd Synthesis: fuse "
              "ideas that do not belong together into one that is new.")
    text = ("Here are recent answers of this mind:\n" + "\n".join(f"- {a.strip()[:300]}" for a in answers)
            + "\n\nFuse two of them that seem unrelated into one surprising, concrete new idea, "
              "in two sentences.")
    insight = personas.infer(image, lead, text, system, max_tokens=SYNTHESIS_TOKENS).text.strip()
    if not gate.not_empty(insight).passed:
        raise MissionError(f"{codex.name} wrote no synthesis")
    serial = recollection.remember(image, insight, lead, "absurd synthesis")
    return {"insight": insight, "memory": serial, "answers": len(answers)}


def _recalibrate_gate(image, window: list[dict], lead) -> dict:
    cosines = sorted(r["cosine"] for r in window if r.get("cosine") is not None)
    if not cosines:
        raise MissionError("the window has no relevance to re-calibrate from")
    old = gate.threshold_for(image)
    median = cosines[len(cosines) // 2]
    new = round(min(GATE_MAX, max(old + GATE_STEP, median)), 4)
    if new <= old:
        raise MissionError(f"the gate's threshold is at its ceiling ({old:.2f})")
    from persistent.mapping import PersistentMapping
    image.connection.root()[gate.SETTINGS_KEY] = PersistentMapping({"relevance_threshold": new})
    return {"relevance_threshold": [old, new], "median_cosine": median}


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
