"""ALFRED's Cognitive Efficiency Audit and the autotelic loop.

``audit(image)`` reads the series since the last mission, runs the detector and answers
an ``Audit``: the window's means and the signal, if any. ``start_mission`` turns a signal
into a mission (``missions.run``) in the current transaction and marks that transaction
as the mind's own: history lists it with origin ``autotelic`` and the mission's summary,
and ``uvm undo`` takes it back. ``mind audit`` is both, in the evaluation that sent it.

``run(image, questions, ...)`` is ``uvm live`` and ``mind live``: each question (the
user's, then practice questions) is one thought, one transaction; every ``every`` thoughts
the audit runs and, on a signal, its mission is a transaction of its own. Between the
user's questions the loop sets itself practice questions -- written by the persona the
recent window used least, about one of its pillars, unlike the recent queries (a
curriculum toward what the mind neglects, as OMNI and Voyager set their own goals) --
at most ``practice`` of them and for at most ``seconds``. Ctrl-C stops the loop; the
thought it interrupted is rolled back, the ones before it stay.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from uvm.cognition.cem import detector, missions, series
from uvm.cognition.cem.metrics import COMPONENTS

AUDIT_EVERY = 10
PRACTICE_LIMIT = 20
PRACTICE_SECONDS = 600.0
QUESTION_TOKENS = 40
QUESTION_TRIES = 3
ORIGIN = "autotelic"


@dataclass
class Audit:
    thoughts: int                       # looked at (since the last mission)
    means: dict[str, float]             # components and "cem" over the window
    signal: detector.Signal | None
    mission: dict | None = None
    refused: str | None = None          # why no mission could answer the signal

    def lines(self) -> list[str]:
        if not self.thoughts:
            return ["ALFRED's audit: no thoughts recorded since the last mission"]
        comps = ", ".join(f"H_{k} {self.means[k]:.2f}" for k in COMPONENTS)
        out = [f"ALFRED's audit of {self.thoughts} thought{'s' if self.thoughts != 1 else ''}: "
               f"CEM {self.means['cem']:.2f} ({comps})"]
        if self.signal is None:
            out.append("  no stagnation" + ("" if self.thoughts >= series.WINDOW else
                                            f" (a window is {series.WINDOW} thoughts)"))
        else:
            out.append(f"  {self.signal.kind}: {self.signal.detail}")
        if self.mission is not None:
            out.append(f"  mission: {missions.describe(self.mission, with_signal=False)}")
        if self.refused:
            out.append(f"  no mission: {self.refused}")
        return out


def audit(image, window: int = series.WINDOW) -> Audit:
    """The audit of the thoughts since the last mission (reads only)."""
    root = image.connection.root()
    since = missions.last_mission_id(root)
    recent = series.records(root, since=since)
    before = [r for r in series.records(root, 2 * window + len(recent))
              if since is not None and r["id"] <= since]
    win = recent[-window:]
    means = {k: _mean(r["components"][k] for r in win) for k in COMPONENTS}
    means["cem"] = _mean(r["cem"] for r in win)
    return Audit(len(recent), means, detector.detect(recent, window, before))


def start_mission(image, found: Audit, window: int = series.WINDOW) -> Audit:
    """The signal's mission, in the current transaction (which becomes ``autotelic``)."""
    if found.signal is None:
        return found
    root = image.connection.root()
    recent = series.records(root, since=missions.last_mission_id(root))[-window:]
    try:
        found.mission = missions.run(image, found.signal, recent)
    except missions.MissionError as e:
        found.refused = e.message
        return found
    from uvm.cognition.cycle import CLAIMED_ORIGIN, CLAIMED_SUMMARY
    ext = image.tm.get().extension
    ext[CLAIMED_ORIGIN] = ORIGIN
    ext[CLAIMED_SUMMARY] = (f"{found.mission['mission']} ({found.signal.kind}, "
                            f"H_{found.signal.component})")
    return found


def _mean(values) -> float:
    values = list(values)
    return round(sum(values) / len(values), 4) if values else 0.0


# --- practice questions ------------------------------------------------------------------------

def practice_question(image, number: int) -> tuple[str, str]:
    """(persona name, a question it set itself): a persona the recent window used least
    (in turn, by ``number``) writes one about one of its pillars (in turn too)."""
    from uvm.cognition import personas, weaving
    from uvm.cognition.personas import codex_of, personas_of
    from uvm.runtime.errors import UvmError
    everyone = personas_of(image.lobby)
    if not everyone:
        raise UvmError("the mind has no personas to practise with")
    recent = series.records(image.connection.root(), series.WINDOW)
    used = {codex_of(p).name: 0 for p in everyone}
    for r in recent:
        for name in r["personas"]:
            if name in used:
                used[name] += 1
    fewest = min(used.values())
    least = [p for p in everyone if used[codex_of(p).name] == fewest]
    persona = least[number % len(least)]   # the least used, in turn
    codex = codex_of(persona)
    pillar = codex.pillars[number % len(codex.pillars)] if codex.pillars else None
    about = weaving.first_sentence(pillar.intent) if pillar else codex.mandate
    asked = "\n".join(f"- {r['query']}" for r in recent[-5:])
    text = (f"Write one short question a person might bring to you, one that calls for this: "
            f"{about}\n" + (f"It must not be one of these:\n{asked}\n" if asked else "")
            + "Answer with the question only.")
    for attempt in range(QUESTION_TRIES):  # greedy first, then sampled: greedy repeats itself
        answer = personas.infer(image, persona, text, weaving.persona_system(codex),
                                max_tokens=QUESTION_TOKENS, temperature=0.0 if attempt == 0 else 0.8,
                                seed=None if attempt == 0 else 1000 * number + attempt).text
        question = _first_question(answer, text)
        if question is not None:
            return codex.name, question
    raise UvmError(f"{codex.name} wrote no practice question in {QUESTION_TRIES} tries "
                   f"(the last: {answer.strip()[:80]!r})")


def _first_question(text: str, prompt: str) -> str | None:
    """The first question in the answer (a sentence ending in ?) that has a few words and
    is not an echo of the prompt; a small model often wraps it in quotes or prose."""
    for match in re.finditer(r"[^.!?\n\"“”:]+\?", text or ""):
        question = re.sub(r"^\s*(?:\d+[.)]|[-*])\s*", "", match.group(0)).strip()
        if len(re.findall(r"[A-Za-z']+", question)) >= 3 and question.lower() not in prompt.lower():
            return question[:300]
    return None


# --- the loop ----------------------------------------------------------------------------------

@dataclass
class LiveRun:
    thoughts: int = 0
    practice: int = 0
    failed: int = 0
    audits: list[Audit] = field(default_factory=list)
    interrupted: bool = False

    @property
    def missions(self) -> list[dict]:
        return [a.mission for a in self.audits if a.mission is not None]

    def summary(self) -> str:
        return (f"live: {self.thoughts} thoughts ({self.practice} practice, {self.failed} failed), "
                f"{len(self.audits)} audits, {len(self.missions)} missions"
                + (" -- stopped (Ctrl-C)" if self.interrupted else ""))


def run(image, questions=(), every: int = AUDIT_EVERY, practice: int = PRACTICE_LIMIT,
        seconds: float = PRACTICE_SECONDS, say=print) -> LiveRun:
    """The autotelic loop (module docstring): ``say`` gets each line of progress."""
    from uvm.runtime.errors import UvmError
    state = LiveRun()
    started = time.monotonic()

    def after_thought() -> None:
        if every > 0 and state.thoughts % every == 0:
            _audit(image, state, say)
    try:
        for question in questions:
            if _think(image, question, state, say, "user"):
                after_thought()
        while state.practice < practice and time.monotonic() - started < seconds:
            number = state.practice
            state.practice += 1
            try:
                who, question = image.run(lambda: practice_question(image, number),
                                          "practice question", "practice")
            except UvmError as e:
                state.failed += 1
                say(f"practice: {e.message}")
                continue
            say(f"practice ({who}): {question}")
            if _think(image, question, state, say, "practice"):
                after_thought()
    except KeyboardInterrupt:
        state.interrupted = True
    say(state.summary())
    return state


def _think(image, question: str, state: LiveRun, say, origin: str) -> bool:
    from uvm.runtime.errors import UvmError
    from uvm.runtime.printing import string_literal
    try:
        with series.origin(origin):
            answer = image.eval(f"mind ask: {string_literal(question)}", "<uvm live>", "thought")
    except UvmError as e:
        state.failed += 1
        say(f"  FAILED: {e.message}")
        return False
    state.thoughts += 1
    record = series.records(image.connection.root(), 1)
    cem = f" [CEM {record[0]['cem']:.2f}]" if record else ""
    say(f"  {answer if isinstance(answer, str) else image.print_string(answer)}{cem}")
    return True


def _audit(image, state: LiveRun, say) -> None:
    found = audit(image)
    if found.signal is not None:  # a mission is a transaction of its own
        found = image.run(lambda: start_mission(image, audit(image)), "mind audit", "audit")
    state.audits.append(found)
    for line in found.lines():
        say(line)


# --- mind live, asked from the REPL ------------------------------------------------------------
_requested: dict | None = None


def request(every: int = AUDIT_EVERY, practice: int = PRACTICE_LIMIT,
            seconds: float = PRACTICE_SECONDS) -> None:
    """``mind live``: the REPL runs the loop once the evaluation that asked has committed
    (a thought is a transaction of its own, so the loop cannot run inside one)."""
    global _requested
    _requested = {"every": every, "practice": practice, "seconds": seconds}


def take_request() -> dict | None:
    global _requested
    found, _requested = _requested, None
    return found
