"""Thoughts as objects in the image: what a completed thought leaves, how to list them, and
the shape of a thought's trace (the record later layers read, the novelty metric first).

A completed thought is a clone of ``mind thought`` (``40-cycle.uvm``) with the slots
``id``, ``query``, ``answer``, ``personas`` (names), ``seconds`` and ``trace``; it is kept in
``root['uvm.thoughts']``, an OOBTree keyed by ``id`` (a sortable time stamp), so undoing
one thought does not collide with the thoughts after it. A failed thought leaves nothing:
its transaction is doomed. ``trace_of(thought)`` answers its trace as plain Python data:

    {"version": 1, "id": str, "query": str, "answer": str | None,
     "outcome": "COMPLETE" | "FAILED", "started": float (epoch s), "seconds": float,
     "routing": None | {"scores": [[NAME, cosine], ...] best first, "picked": [NAME, ...]},
     "personas": [CYCLE, ...],          # one per persona that thought, in order
     "weave": None | WEAVE,             # the orchestrator's weave of several personas
     "failure": None | {"persona": NAME | None, "state": STATE, "reason": str}}
    CYCLE = {"persona": NAME,
             "states": [{"state": STATE, "seconds": float, "next": STATE}, ...],
             "memories": [str, ...],    # recalled in IDLE, shown in DECOMPOSING/SYNTHESIZING
             "subqueries": [{"pillar": str, "selector": str, "text": str, "from_model": bool}],
             "facets": [{"pillar": str, "selector": str, "written_now": bool, "batched": bool,
                         "seconds": float | None, "answer": str}],
             "batch": None | {"requests": int, "batched": bool, "seconds": float},
             "gate": [[{"check": str, "passed": bool, "detail": str}, ...], ...],  # per attempt
             "prompts": {"decompose": sha256[:12], "weave": [sha256[:12], ...]},
             "answer": str | None, "failure": None | {"state": STATE, "reason": str}}
    WEAVE = {"persona": NAME, "answer": str, "seconds": float, "gate": [[...], ...],
             "prompts": [sha256[:12], ...]}
    STATE = "IDLE" | "DECOMPOSING" | "DELEGATING" | "SYNTHESIZING" | "COMPLETE" | "FAILED"
"""
from __future__ import annotations

import datetime

from uvm.runtime import send as send_mod
from uvm.runtime.objects import UvmDict, UvmList, UvmObject

ROOT_KEY = "uvm.thoughts"
TRACE_VERSION = 1


def new_id() -> str:
    """A sortable id: the UTC time to the microsecond."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")


def to_uvm(value):
    """Plain data as UVM values: dicts and lists become dictionaries and lists."""
    if isinstance(value, dict):
        return UvmDict({k: to_uvm(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return UvmList([to_uvm(v) for v in value])
    return value


def to_plain(value):
    if isinstance(value, (UvmDict, dict)):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, (UvmList, list, tuple)):
        return [to_plain(v) for v in value]
    return value


def keep(image, trace: dict) -> UvmObject:
    """Make the thought object of a completed trace and keep it in the image (in the
    current transaction)."""
    from BTrees.OOBTree import OOBTree
    proto = send_mod.send(send_mod.send(image.lobby, "mind"), "thought")
    thought = send_mod.send(proto, "clone")
    for name, value in (("id", trace["id"]), ("query", trace["query"]),
                        ("answer", trace["answer"]),
                        ("personas", UvmList([c["persona"] for c in trace["personas"]])),
                        ("seconds", round(trace["seconds"], 3)), ("trace", to_uvm(trace))):
        send_mod.send(thought, name + ":", value)
    root = image.connection.root()
    tree = root.get(ROOT_KEY)
    if tree is None:
        tree = root[ROOT_KEY] = OOBTree()
    tree[trace["id"]] = thought
    return thought


def recent(root, n: int = 20) -> list[UvmObject]:
    """The last ``n`` completed thoughts of a database root, newest first."""
    tree = root.get(ROOT_KEY)
    if tree is None or n <= 0:
        return []
    out = []
    for key in reversed(list(tree.keys())):
        out.append(tree[key])
        if len(out) == n:
            break
    return out


def is_thought(obj) -> bool:
    return isinstance(obj, UvmObject) and isinstance(obj._slots.get("trace"), UvmDict) \
        and "id" in obj._slots and "query" in obj._slots


def trace_of(thought: UvmObject) -> dict:
    """The thought's trace as plain data (the shape in this module's docstring)."""
    return to_plain(thought._slots["trace"])


def summary_line(trace: dict) -> str:
    """One line for ``:thoughts``: when, who, how long, the question."""
    who = ", ".join(c["persona"] for c in trace["personas"]) or "?"
    when = trace["id"][9:15]
    when = f"{when[:2]}:{when[2:4]}:{when[4:]}"
    q = trace["query"].replace("\n", " ")
    return f"{trace['id']}  {when}  {who:<14} {trace['seconds']:6.1f} s  {q[:60]}"


def describe(trace: dict) -> list[str]:
    """The trace as lines, for ``:inspect`` and ``uvm ask --trace``."""
    lines = [f"thought {trace['id']}: {trace['outcome']} in {trace['seconds']:.1f} s"]
    lines.append(f"  query: {trace['query']}")
    if trace.get("routing"):
        scores = ", ".join(f"{n} {s:.2f}" for n, s in trace["routing"]["scores"])
        lines.append(f"  router: {scores}; picked {', '.join(trace['routing']['picked'])}")
    for c in trace["personas"]:
        lines.append(f"  {c['persona']}:")
        lines.append("    states: " + " -> ".join(f"{s['state']} {s['seconds']:.1f} s"
                                                  for s in c["states"]))
        if c["memories"]:
            lines.append(f"    memories recalled: {len(c['memories'])}")
        for s in c["subqueries"]:
            lines.append(f"    sub-question for {s['pillar']}{'' if s['from_model'] else ' (the query)'}: "
                         f"{s['text'][:90]}")
        for f in c["facets"]:
            how = "written now" if f["written_now"] else ("batched" if f["batched"] else "asked")
            secs = f", {f['seconds']:.1f} s" if f.get("seconds") is not None else ""
            lines.append(f"    facet {f['selector']} ({how}{secs}): {f['answer'][:80]!r}")
        if c.get("batch"):
            b = c["batch"]
            lines.append(f"    delegation: {b['requests']} facet answers "
                         f"{'in one batch' if b['batched'] else 'one after another'}, "
                         f"{b['seconds']:.1f} s")
        for i, checks in enumerate(c["gate"], 1):
            lines.append(f"    gate, attempt {i}: " + "; ".join(
                f"{k['check']} {'ok' if k['passed'] else 'FAILED'}"
                + (f" ({k['detail']})" if k["detail"] else "") for k in checks))
        if c.get("failure"):
            lines.append(f"    failed in {c['failure']['state']}: {c['failure']['reason']}")
    if trace.get("weave"):
        w = trace["weave"]
        lines.append(f"  woven by {w['persona']} in {w['seconds']:.1f} s")
        for i, checks in enumerate(w["gate"], 1):
            lines.append(f"    gate, attempt {i}: " + "; ".join(
                f"{k['check']} {'ok' if k['passed'] else 'FAILED'}" for k in checks))
    if trace.get("failure"):
        f = trace["failure"]
        lines.append(f"  FAILED in {f['state']}" + (f" ({f['persona']})" if f.get("persona") else "")
                     + f": {f['reason']}")
    elif trace.get("answer") is not None:
        lines.append(f"  answer: {trace['answer'][:200]!r}")
    return lines
