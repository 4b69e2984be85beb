"""The Synaptic Cycle (the seed, Part III.2 and Table 4) and the orchestrator over the
personas (Part IV's CP-MoE): a thought as one transaction.

The states ``idle``, ``decomposing``, ``delegating``, ``synthesizing``, ``complete`` and
``failed`` are UVM prototypes (``40-cycle.uvm``). A cycle (a clone of ``cognitiveCycle``)
holds its current state in the assignable parent slot ``state*``: the cycle is sent
``synthesizeResponseFor:`` (understood by ``idle``) and then ``process`` until it is idle
again, each send delegated to the current state, and each state's method re-points
``state`` to the next -- a transition is an assignment to a parent slot. The states' work
is here (the states call it through ``cognition``):

- IDLE: the working slot (a dictionary: the query, the memories recalled, later the
  sub-questions, the partial answers, the answer);
- DECOMPOSING: the persona splits the query, one sub-question per pillar
  (``weaving.parse_subqueries``: the query itself for a pillar it could not read);
- DELEGATING: each sub-question to its pillar's facet (a facet not yet written is written
  by the facet mechanism on that send); with ``UVM_THOUGHT_BATCH=1`` the written ones are
  collected first and answered in one batch where the backend can (``personas.Deferral``,
  ``uvm.llm.batch``);
- SYNTHESIZING: the weave (``weaving.weave_messages``) and the quality gate (``gate``), one
  retry with the gate's reason, then FAILED;
- COMPLETE: the working slot is cleared and the cycle is idle again;
- FAILED: any error in a state lands here; the evaluation's transaction is doomed
  (``transaction.doom()``), so nothing of the thought stays, and the error says which
  state failed and why. Ctrl-C dooms too.

``ask(image, query, persona=None)`` is ``mind ask:`` (route, think with the picked
personas, weave their answers once more) and ``robin ask:`` (no router). A completed
thought is kept as an object (``thoughts.keep``, with its trace), its question and answer
are remembered (``recollection``), and its transaction is marked so that history lists it
as one entry of origin ``thought`` naming the persona(s) and the query.
"""
from __future__ import annotations

import hashlib
import os
import time

from uvm.cognition import gate, personas, recollection, thoughts, weaving
from uvm.cognition.cem import series as cem
from uvm.cognition.facets import facet_status
from uvm.cognition.personas import codex_of, slot
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmDict, UvmList, UvmObject

STATES = ("IDLE", "DECOMPOSING", "DELEGATING", "SYNTHESIZING", "COMPLETE", "FAILED")
DECOMPOSE_TOKENS = 64     # three short lines
FACET_TOKENS = 80         # a facet's partial answer: a few sentences
WEAVE_TOKENS = 120        # two or three sentences
MAX_PERSONAS = 2           # the orchestrator thinks with at most this many of the picked
GATE_ATTEMPTS = 2          # the weave, and one retry with the gate's reason
# 1: the written facets answered in one batched generation where the backend can. Off by
# default: on this project's 2 shared CPU cores the batch measured slower than the facets
# one after another (benchmarks/thought.py; the figures are in issue 13's closing note).
BATCH_VARIABLE = "UVM_THOUGHT_BATCH"
THOUGHT_KEY = "uvm.thoughts"           # transaction metadata: the thoughts it completed
CLAIMED_ORIGIN = "uvm.claimed_origin"  # read by uvm.image.history.record,
CLAIMED_SUMMARY = "uvm.claimed_summary"  # with the line it puts first

last_trace: dict | None = None  # the last thought's trace, completed or failed (uvm ask --trace)
# A test hook: the name of a state whose work raises (the atomicity tests and benchmark).
inject_fault: str | None = None


def _fault(state: str) -> None:
    if inject_fault == state:
        raise UvmError(f"a fault injected in {state} (test hook)")


class ThoughtFailed(UvmError):
    """A thought ended in FAILED: ``state`` is where, ``reason`` why."""

    def __init__(self, persona: str | None, state: str, reason: str):
        who = f"{persona}'s thought" if persona else "the thought"
        super().__init__(f"{who} failed in {state}: {reason} (nothing of it was kept)")
        self.persona, self.state, self.reason = persona, state, reason


def batching() -> bool:
    return os.environ.get(BATCH_VARIABLE, "0").strip() in ("1", "yes", "on", "true")


def _digest(messages: list[dict]) -> str:
    text = "\x00".join(f"{m['role']}:{m['content']}" for m in messages)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- a cycle's state and trace ---------------------------------------------------------------------

def state_name(cycle: UvmObject) -> str:
    state = cycle._slots.get("state")
    name = slot(state, "name") if isinstance(state, UvmObject) else None
    return name if isinstance(name, str) else "?"


class CycleTrace:
    """What one persona's cycle did (``thoughts`` documents the dict it becomes)."""

    def __init__(self, persona: str):
        self.persona = persona
        self.states: list[dict] = []
        self.memories: list[str] = []
        self.subqueries: list[dict] = []
        self.facets: list[dict] = []
        self.batch: dict | None = None
        self.gate: list[list[dict]] = []
        self.prompts: dict = {"decompose": None, "weave": []}
        self.answer: str | None = None
        self.failure: dict | None = None
        self.state = "IDLE"
        self.entered = time.monotonic()
        self.detail = ""   # the status line's third part (``sage 2/3``)

    def to_json(self) -> dict:
        return {"persona": self.persona, "states": self.states, "memories": self.memories,
                "subqueries": self.subqueries, "facets": self.facets, "batch": self.batch,
                "gate": self.gate, "prompts": self.prompts, "answer": self.answer,
                "failure": self.failure}


_running: dict[int, CycleTrace] = {}   # id(cycle) -> its trace, while it thinks
_thought_started: list[float] = []     # when the current thought began (the status line)


def _trace(cycle: UvmObject) -> CycleTrace:
    trace = _running.get(id(cycle))
    if trace is None:
        raise UvmError("this cycle is not thinking: send it think: 'a question'")
    return trace


def _persona_of(cycle: UvmObject) -> UvmObject:
    persona = cycle._slots.get("persona")
    if not personas.is_persona(persona):
        raise UvmError("the cycle has no persona (make one with: cognitiveCycle for: robin)")
    return persona


def _working(cycle: UvmObject) -> UvmDict:
    working = cycle._slots.get("working")
    if not isinstance(working, UvmDict):
        raise UvmError("the cycle's working slot is empty (the cycle was not started)")
    return working


def status_text(trace: CycleTrace, seconds: float | None = None) -> str:
    """``ROBIN · DELEGATING · sage 2/3 · 12.4 s``: the thought's live status line."""
    total = time.monotonic() - (_thought_started[-1] if _thought_started else trace.entered)
    parts = [trace.persona, trace.state] + ([trace.detail] if trace.detail else []) + [f"{total:.1f} s"]
    return " \u00b7 ".join(parts)


# --- driving a cycle -------------------------------------------------------------------------------

def think(image, cycle: UvmObject, query: str) -> str:
    """Run ``cycle`` from IDLE to COMPLETE on ``query`` and answer the answer; a failure in
    any state is FAILED (the transaction doomed, ``ThoughtFailed`` raised)."""
    persona = _persona_of(cycle)
    if not isinstance(query, str) or not query.strip():
        raise UvmError("a thought needs a question (a non-empty string)")
    if state_name(cycle) != "IDLE":
        raise UvmError(f"this cycle is already thinking (it is in {state_name(cycle)})")
    trace = CycleTrace(codex_of(persona).name)
    if _running:
        raise UvmError("a cycle cannot think inside another cycle's thought")
    if not _thought_started:
        _last_cycles.clear()  # a cycle sent think: on its own is a thought of its own
    _running[id(cycle)] = trace
    try:
        with personas.status_of_thought(lambda s: status_text(trace, s)), \
                personas.token_budget(FACET_TOKENS):
            _step(image, cycle, trace, lambda: send_mod.send(cycle, "synthesizeResponseFor:", query))
            while state_name(cycle) != "IDLE":
                _step(image, cycle, trace, lambda: send_mod.send(cycle, "process"))
        return trace.answer
    finally:
        _running.pop(id(cycle), None)
        _last_cycles.append(trace)


_last_cycles: list[CycleTrace] = []   # the cycles of the thought being made (for its trace)


def _step(image, cycle, trace: CycleTrace, action) -> None:
    name = state_name(cycle)
    trace.state, trace.detail, trace.entered = name, "", time.monotonic()
    try:
        _fault(name)
        action()
    except ThoughtFailed:
        raise
    except KeyboardInterrupt:
        _doom(image)
        trace.failure = {"state": name, "reason": "interrupted (Ctrl-C)"}
        trace.states.append({"state": name, "seconds": _since(trace), "next": "FAILED"})
        raise
    except Exception as exc:  # noqa: BLE001 -- any error in a state is FAILED (Table 4)
        reason = exc.message if isinstance(exc, UvmError) else str(exc) or type(exc).__name__
        _doom(image)  # first: whatever FAILED then does, nothing of this thought can commit
        trace.failure = {"state": name, "reason": reason}
        trace.states.append({"state": name, "seconds": _since(trace), "next": "FAILED"})
        trace.state, trace.entered = "FAILED", time.monotonic()
        send_mod.send(cycle, "state:", send_mod.send(image.lobby, "failed"))
        try:
            send_mod.send(cycle, "process")  # FAILED's process dooms and raises
        finally:
            trace.states.append({"state": "FAILED", "seconds": _since(trace), "next": None})
        raise ThoughtFailed(trace.persona, name, reason) from None  # (it always raises)
    trace.states.append({"state": name, "seconds": _since(trace), "next": state_name(cycle)})


def _since(trace: CycleTrace) -> float:
    return round(time.monotonic() - trace.entered, 3)


def _doom(image) -> None:
    if image is not None:
        image.tm.get().doom()


# --- the states' work (what the prototypes send to ``cognition``) ---------------------------------

def begin(image, cycle: UvmObject, query: str) -> UvmDict:
    """IDLE: the working slot, with the query and what memory recalls for it."""
    trace = _trace(cycle)
    trace.memories = recollection.recall(image, query)
    return UvmDict({"query": query, "memories": UvmList(trace.memories), "subqueries": UvmList(),
                    "partials": UvmList(), "answer": None})


def decompose(image, cycle: UvmObject) -> None:
    """DECOMPOSING: one sub-question per pillar, from the persona's own answer."""
    trace, persona, working = _trace(cycle), _persona_of(cycle), _working(cycle)
    codex = codex_of(persona)
    if not codex.pillars:
        raise UvmError(f"{codex.name} has no pillars to think with")
    query, memories = working["query"], list(working["memories"])
    msgs = weaving.decomposition_messages(codex, query, memories)
    trace.prompts["decompose"] = _digest(msgs)
    text = personas.infer(image, persona, msgs[1]["content"], msgs[0]["content"],
                          max_tokens=DECOMPOSE_TOKENS).text
    subs = weaving.parse_subqueries(text, codex.pillars, query)
    trace.subqueries = [{"pillar": p.name, "selector": p.selector, "text": t, "from_model": m}
                        for p, t, m in subs]
    working["subqueries"] = UvmList([UvmList([p.name, p.selector, t]) for p, t, _ in subs])


def delegate(image, cycle: UvmObject) -> None:
    """DELEGATING: each sub-question to its pillar's facet; the facets already written are
    answered together (one batch where the backend can)."""
    trace, persona, working = _trace(cycle), _persona_of(cycle), _working(cycle)
    subs = [tuple(s) for s in working["subqueries"]]
    if not subs:
        raise UvmError("there are no sub-questions to delegate")
    written = {s.selector for s in facet_status(persona) if s.written}
    deferred = [s for s in subs if s[1] in written] if batching() and _can_batch(image) else []
    if len(deferred) < 2:
        deferred = []
    answers: dict[str, str] = {}
    rows: dict[str, dict] = {}
    for i, (pillar, selector, text) in enumerate(subs, 1):
        if (pillar, selector, text) in deferred:
            continue
        trace.detail = f"{selector.rstrip(':')} {i}/{len(subs)}"
        started = time.monotonic()
        answers[selector] = _facet_answer(send_mod.send(persona, selector, text), selector, pillar)
        rows[selector] = {"pillar": pillar, "selector": selector, "written_now": selector not in written,
                          "batched": False, "seconds": round(time.monotonic() - started, 3)}
    if deferred:
        trace.detail = f"{len(deferred)} facets in one batch"
        with personas.deferring() as d:
            values = [(sel, send_mod.send(persona, sel, text)) for _, sel, text in deferred]
        line = _batch_status_line(trace)
        try:
            filled = d.answer(image, progress=line.show if line else None)
        finally:
            if line:
                line.close()
        for (pillar, sel, _), (_, value) in zip(deferred, values):
            value = _facet_answer(value, sel, pillar)
            for token, text in filled.items():
                value = value.replace(token, text)
            answers[sel] = value
            rows[sel] = {"pillar": pillar, "selector": sel, "written_now": False,
                         "batched": d.batched, "seconds": None}
        trace.batch = {"requests": len(d.calls), "batched": d.batched, "seconds": round(d.seconds, 3)}
    partials = []
    for pillar, selector, _ in subs:
        answer = _facet_answer(answers[selector], selector, pillar).strip()
        partials.append(UvmList([pillar, answer]))
        trace.facets.append({**rows[selector], "answer": answer})
    working["partials"] = UvmList(partials)


def _can_batch(image) -> bool:
    """Whether this run's backend answers several prompts in one batch (the embedded model
    does; a server or a test double would only answer them one after another, without
    the status line and time limit each generation has on its own)."""
    from uvm.llm.batch import can_batch
    from uvm.llm.settings import evaluation_backend
    return can_batch(evaluation_backend(image))


def _facet_answer(value, selector: str, pillar: str) -> str:
    if not isinstance(value, str):
        raise UvmError(f"the {pillar} facet ({selector}) answered {type(value).__name__}, not text")
    if not value.strip():
        raise UvmError(f"the {pillar} facet ({selector}) answered nothing")
    return value


class _BatchLine:
    def __init__(self, trace: CycleTrace):
        from uvm.llm.progress import StatusLine
        self.trace, self.line = trace, StatusLine()

    def show(self, seconds: float) -> None:
        self.line.show(status_text(self.trace, seconds))

    def close(self) -> None:
        self.line.close()


def _batch_status_line(trace: CycleTrace):
    from uvm.llm.progress import on_terminal
    return _BatchLine(trace) if on_terminal() else None


def synthesize(image, cycle: UvmObject) -> None:
    """SYNTHESIZING: weave the partial answers and pass the quality gate (one retry)."""
    trace, persona, working = _trace(cycle), _persona_of(cycle), _working(cycle)
    codex = codex_of(persona)
    query, memories = working["query"], list(working["memories"])
    partials = [(p, a) for p, a in working["partials"]]
    answer, reason = _gated(image, persona, query, partials, trace.gate, trace.prompts["weave"],
                            lambda why: weaving.weave_messages(codex, query, partials, memories, why),
                            codex, trace)
    working["answer"] = answer
    trace.answer = answer


def _gated(image, persona, query, partials, gates: list, digests: list, messages, codex, trace):
    reason = None
    for attempt in range(1, GATE_ATTEMPTS + 1):
        if trace is not None:
            trace.detail = "weaving" if attempt == 1 else "weaving again"
        msgs = messages(reason)
        digests.append(_digest(msgs))
        system = next((m["content"] for m in msgs if m["role"] == "system"), None)
        answer = personas.infer(image, persona, msgs[-1]["content"], system,
                                max_tokens=WEAVE_TOKENS).text
        checks = gate.run_gate(query, answer, partials, weaving.instructions_of(codex),
                               threshold=gate.threshold_for(image))
        gates.append([c.to_json() for c in checks])
        failed = gate.first_failure(checks)
        if failed is None:
            return answer, None
        reason = f"{failed.name}: {failed.detail}"
    raise UvmError(f"the quality gate refused the answer {GATE_ATTEMPTS} times (last: {reason})")


def finish(image, cycle: UvmObject) -> None:
    """COMPLETE: the answer is kept in the trace; the state clears the working slot."""
    trace, working = _trace(cycle), _working(cycle)
    trace.answer = working["answer"]


def doom(image, cycle: UvmObject) -> None:
    """FAILED: doom the evaluation's transaction and say what failed."""
    trace = _running.get(id(cycle))
    _doom(image)
    _fault("FAILED")
    send_mod.send(cycle, "working:", None)
    if trace is None or trace.failure is None:
        raise ThoughtFailed(trace.persona if trace else None, "FAILED", "the cycle was sent to FAILED")
    raise ThoughtFailed(trace.persona, trace.failure["state"], trace.failure["reason"])


# --- the orchestrator ---------------------------------------------------------------------------

def new_cycle(image, persona: UvmObject) -> UvmObject:
    return send_mod.send(send_mod.send(image.lobby, "cognitiveCycle"), "for:", persona)


def ask(image, query: str, persona: UvmObject | None = None) -> str:
    """``mind ask:`` (``persona`` None: the router picks) and ``robin ask:``: one thought."""
    global last_trace
    if not isinstance(query, str) or not query.strip():
        raise UvmError("ask: needs a question (a non-empty string)")
    query = query.strip()
    if _thought_started:
        raise UvmError("a thought cannot begin inside another thought")
    trace = {"version": thoughts.TRACE_VERSION, "id": thoughts.new_id(), "query": query,
             "answer": None, "outcome": "FAILED", "started": time.time(), "seconds": 0.0,
             "routing": None, "personas": [], "weave": None, "failure": None}
    last_trace = trace
    started = time.monotonic()
    _thought_started.append(started)
    _last_cycles.clear()
    try:
        answer = _ask(image, query, persona, trace)
    except ThoughtFailed as e:
        trace["failure"] = {"persona": e.persona, "state": e.state, "reason": e.reason}
        raise
    except KeyboardInterrupt:
        _doom(image)
        trace["failure"] = {"persona": None, "state": _last_cycles[-1].state if _last_cycles else "IDLE",
                            "reason": "interrupted (Ctrl-C)"}
        raise
    except Exception as exc:  # noqa: BLE001 -- outside a cycle: routing, weaving, keeping
        _doom(image)
        reason = exc.message if isinstance(exc, UvmError) else str(exc) or type(exc).__name__
        trace["failure"] = {"persona": None, "state": "SYNTHESIZING" if _last_cycles else "IDLE",
                            "reason": reason}
        raise ThoughtFailed(None, trace["failure"]["state"], reason) from None
    finally:
        trace["personas"] = [c.to_json() for c in _last_cycles]
        trace["seconds"] = round(time.monotonic() - started, 3)
        _thought_started.pop()
    return answer


def _ask(image, query: str, persona, trace: dict) -> str:
    if persona is None:
        from uvm.cognition import router
        try:
            routing = router.route(image, query)
        except router.RouterError as e:
            raise UvmError(f"mind ask: {e}") from None
        trace["routing"] = {"scores": [[codex_of(p).name, round(s, 4)] for p, s in routing.ranking],
                            "picked": [codex_of(p).name for p in routing.picked]}
        chosen = routing.picked[:MAX_PERSONAS]
    else:
        chosen = [persona]
    answers = [(codex_of(p).name, think(image, new_cycle(image, p), query)) for p in chosen]
    if len(answers) == 1:
        answer = answers[0][1]
    else:
        lead = chosen[0]
        w = {"persona": codex_of(lead).name, "answer": None, "seconds": 0.0, "gate": [], "prompts": []}
        trace["weave"] = w
        t0 = time.monotonic()
        answer, _ = _gated(image, lead, query, answers, w["gate"], w["prompts"],
                           lambda why: weaving.mind_weave_messages(query, answers, why), None, None)
        w["answer"], w["seconds"] = answer, round(time.monotonic() - t0, 3)
    trace["answer"], trace["outcome"] = answer, "COMPLETE"
    trace["personas"] = [c.to_json() for c in _last_cycles]
    trace["seconds"] = round(time.monotonic() - _thought_started[-1], 3)
    cem.record_thought(image, trace)
    thought = thoughts.keep(image, trace)
    recollection.remember_thought(image, thought, query, answer, chosen[0])
    _mark_transaction(image, trace)
    return answer


def _mark_transaction(image, trace: dict) -> None:
    """History lists the evaluation as a thought: origin ``thought``, persona(s), query."""
    ext = image.tm.get().extension
    names = [c["persona"] for c in trace["personas"]]
    ext[CLAIMED_ORIGIN] = "thought"
    ext[THOUGHT_KEY] = list(ext.get(THOUGHT_KEY, [])) + [
        {"id": trace["id"], "personas": names, "query": trace["query"][:500]}]
    ext[CLAIMED_SUMMARY] = "; ".join(f"{', '.join(t['personas'])}: {t['query'].splitlines()[0]}"
                                     for t in ext[THOUGHT_KEY])
