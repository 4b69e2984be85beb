"""The CEM's time series, weights and feedback, kept in the image.

- ``root['uvm.cem.series']``: an OOBTree, thought id (a UTC time, so keys sort by time)
  -> the thought's record: its components, CEM, the weights it was scored with, its
  origin (``user`` or ``practice``), who thought and which facets answered, whether the
  gate passed the first weave, the facets written in it, the raw relevance cosine, the
  router's scores (when the router chose) and the answer's embedding (float32 bytes, for
  the novelty of later answers);
- ``root['uvm.cem.weights']``: the weights (w_rel, w_cog, w_sol, w_struc);
- ``root['uvm.cem.weight_log']``: every weight change with its reason;
- ``root['uvm.cem.feedback']``: thought id -> 1 (good) or 0 (bad).

``record_thought`` is what a completed thought calls (``uvm.cognition.cycle``), in the
thought's own transaction: undoing the thought takes its record with it.
"""
from __future__ import annotations

import contextlib
import contextvars
import time

from uvm.cognition.cem import metrics
from uvm.cognition.personas import codex_of, personas_of

SERIES_KEY = "uvm.cem.series"
WEIGHTS_KEY = "uvm.cem.weights"
WEIGHT_LOG_KEY = "uvm.cem.weight_log"
FEEDBACK_KEY = "uvm.cem.feedback"
WINDOW = 10          # thoughts in H_cog's sliding window (and the detector's)
NOVELTY_SPAN = 200   # earlier answers H_sol compares with (the most recent)

_origin = contextvars.ContextVar("uvm_cem_origin", default="user")


@contextlib.contextmanager
def origin(name: str):
    """Thoughts completed inside are recorded with this origin (``practice``)."""
    token = _origin.set(name)
    try:
        yield
    finally:
        _origin.reset(token)


def root_tree(root, key: str, create: bool = False):
    """The OOBTree at ``root[key]`` (made there, in the current transaction, if asked)."""
    tree = root.get(key)
    if tree is None and create:
        from BTrees.OOBTree import OOBTree
        tree = root[key] = OOBTree()
    return tree


def records(root, n: int | None = None, since: str | None = None) -> list[dict]:
    """The recorded thoughts, oldest first: the last ``n``, or those after ``since``."""
    tree = root_tree(root, SERIES_KEY)
    if tree is None:
        return []
    keys = tree.keys(min=since, excludemin=True) if since is not None else tree.keys()
    if n is not None:  # a BTree's keys slice lazily: the last n without reading the rest
        keys = keys[max(len(keys) - n, 0):] if n > 0 else []
    return [dict(tree[k]) for k in keys]


def weights(root) -> dict[str, float]:
    saved = root.get(WEIGHTS_KEY)
    return {k: float(saved[k]) for k in metrics.COMPONENTS} if saved else dict(metrics.DEFAULT_WEIGHTS)


def set_weights(root, new: dict[str, float], reason: str, method: str) -> dict:
    """Keep new weights and log the change (in the current transaction)."""
    from persistent.list import PersistentList
    from persistent.mapping import PersistentMapping
    old = weights(root)
    new = {k: round(float(new[k]), 4) for k in metrics.COMPONENTS}
    root[WEIGHTS_KEY] = PersistentMapping(new)
    log = root.get(WEIGHT_LOG_KEY)
    if log is None:
        log = root[WEIGHT_LOG_KEY] = PersistentList()
    entry = {"time": time.time(), "old": old, "new": new, "reason": reason, "method": method}
    log.append(entry)
    return entry


def weight_log(root) -> list[dict]:
    return [dict(e) for e in root.get(WEIGHT_LOG_KEY) or ()]


def feedback(root) -> dict[str, int]:
    return dict(root.get(FEEDBACK_KEY) or {})


def give_feedback(root, thought_id: str, good: bool) -> None:
    tree = root_tree(root, FEEDBACK_KEY, create=True)
    tree[thought_id] = 1 if good else 0


def mind_size(image) -> tuple[int, int]:
    """(personas, facets) the mind can choose from: H_cog's maxima."""
    found = personas_of(image.lobby)
    return len(found), sum(len(codex_of(p).pillars) for p in found)


def uses(trace: dict) -> tuple[list[str], list[str]]:
    """(personas who thought, the facets that answered as PERSONA/selector)."""
    cycles = trace.get("personas") or []
    return ([c["persona"] for c in cycles],
            [f"{c['persona']}/{f['selector']}" for c in cycles for f in c.get("facets") or []])


def gate_first_pass(trace: dict) -> bool:
    """Whether every weave of the thought passed the gate on its first attempt."""
    gates = [c.get("gate") or [] for c in trace.get("personas") or []]
    if trace.get("weave"):
        gates.append(trace["weave"].get("gate") or [])
    return all(g and all(check["passed"] for check in g[0]) for g in gates)


def score(image, trace: dict, previous: list[dict], vectors) -> dict:
    """The record of a completed thought: ``vectors`` are the query's and the answer's
    embeddings, ``previous`` the records before it (oldest first)."""
    import numpy as np
    q, a = vectors
    persons, facets = uses(trace)
    window = [(r["personas"], r["facets"]) for r in previous[-(WINDOW - 1):]] + [(persons, facets)]
    n_personas, n_facets = mind_size(image)
    earlier = [np.frombuffer(r["vector"], dtype=np.float32) for r in previous[-NOVELTY_SPAN:]
               if r.get("vector")]
    components = {"rel": metrics.relevance(q, a),
                  "cog": metrics.cognitive_diversity(window, n_personas, n_facets),
                  "sol": metrics.solution_novelty(a, earlier),
                  "struc": metrics.structural_complexity(trace)}
    w = weights(image.connection.root())
    return {"id": trace["id"], "time": trace.get("started") or time.time(),
            "origin": _origin.get(), "query": trace["query"][:300],
            "components": {k: round(v, 4) for k, v in components.items()},
            "cem": round(metrics.cem(components, w), 4), "weights": w,
            "personas": persons, "facets": facets, "gate_first_pass": gate_first_pass(trace),
            "written": [[c["persona"], f["selector"]] for c in trace.get("personas") or []
                        for f in c.get("facets") or [] if f.get("written_now")],
            "cosine": round(metrics.cosine(q, a), 4),
            "ranking": [list(r) for r in (trace.get("routing") or {}).get("scores") or []],
            "vector": np.asarray(a, dtype=np.float32).tobytes()}


def record_thought(image, trace: dict) -> dict:
    """Score a completed thought and keep its record (in the thought's transaction)."""
    from uvm.llm.embedding import embedder
    root = image.connection.root()
    previous = records(root, NOVELTY_SPAN)
    record = score(image, trace, previous, embedder().embed([trace["query"], trace["answer"]]))
    root_tree(root, SERIES_KEY, create=True)[trace["id"]] = record
    trace["cem"] = {"components": record["components"], "cem": record["cem"]}
    return record


def moving_average(values: list[float], window: int = WINDOW) -> list[float]:
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out
