"""The pipeline's driver: for a failed send, brief -> prompt -> answer -> audit -> run in a
savepoint -> keep or retry. The package docstring (``uvm.llm.synthesis``) lists the steps."""
from __future__ import annotations

import contextlib
import hashlib
import time
from typing import NamedTuple

from uvm.llm.errors import LLMError
from uvm.llm.synthesis import library
from uvm.llm.synthesis.answer import code_from_answer, method_ended, parses, same_value, with_covenant_line
from uvm.llm.generation import TIMEOUT_VARIABLE, generation_timeout
from uvm.llm.synthesis.choice import (CHECKS_TOKENS, Candidate, Choice, by_agreement, by_checks,
                                      checks_messages, groups_of, outcome_of, parse_checks, quiet,
                                      send_text)
from uvm.llm.synthesis.guardian import CovenantViolationError, changes_self, uses_its_inputs
from uvm.llm.synthesis.prompt import SHOTS, Brief
from uvm.llm.synthesis.receiver import (describe_value, example_of, holder_for, type_name, typo_of,
                                        understood_selectors)
from uvm.llm.synthesis.sandbox import (ConfinementBreach, SandboxMemoryError, SandboxTimeout,
                                       compile_audited, limits)
from uvm.runtime.confinement import membrane
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError, sending_line
from uvm.runtime.objects import Method, UvmObject

CONSTANT = 0
ATTEMPTS = 3          # rounds of candidates (each round feeds the last failure back)
EXAMPLE_ATTEMPTS = 6  # when the user gave examples, each sample is tested before it is kept
CANDIDATES = 4        # candidates per round, in one batched generation (see README: its cost)
WRITER_SHOTS = 1      # worked examples in the prompt when the method writer adapter writes
TIME_LIMIT = 2.0
MEMORY_LIMIT = 512 * 1024 * 1024
MAX_TOKENS = 160
STOP = ("\n\n\n", "\nComplete:")  # the method's own end is found by ``method_ended``
RETRY_TEMPERATURE = 0.7  # retries sample: greedy decoding would repeat the failed answer
clock = time.monotonic   # how the pipeline times the model and the person (tests fake it)

# Methods written in an evaluation whose commit then lost a write conflict: the retried
# evaluation reuses them instead of asking the model again. (holder oid, selector) -> source
_conflict_cache: dict[tuple[bytes, str], str] = {}


# --- installing -----------------------------------------------------------------------------------

def install(image, attempts: int = ATTEMPTS, backend=None) -> "Synthesizer | None":
    """Make failed sends in ``image`` write their method, when the run has a model."""
    from uvm.llm.settings import run_spec
    if backend is None and run_spec() == "none":
        uninstall()
        return None
    synth = Synthesizer(image, attempts=attempts, backend=backend)
    send_mod.synthesizer = synth
    return synth


def set_approver(approver) -> None:
    """Ask ``approver(selector, code, where) -> bool`` before keeping a model-written
    method (None: keep it without asking). It is asked after the method's first run,
    which happens confined in a savepoint, so that ``where`` can say which objects
    besides its receiver the method changes; no means the savepoint is rolled back.
    No effect when no synthesizer is installed."""
    if isinstance(send_mod.synthesizer, Synthesizer):
        send_mod.synthesizer.approver = approver


def uninstall() -> None:
    send_mod.synthesizer = None


# --- briefs from the layers above -----------------------------------------------------------------
# A layer above uvm.llm (the mind's facets, uvm.cognition.facets; the tool proxies,
# uvm.cognition.tools) writes the brief for the receivers it knows: provider(receiver,
# selector, args, image, origin) -> a Brief, or None to leave the send to the ordinary
# brief. The pipeline uses such a brief as it is (its holder and signature included),
# skips the typo check (the provider knows the selector is meant) and asks it for five
# more things when it has them: ``revise(code)``, the code with a small slip put right
# before the audit (as a forgotten covenant line is added); ``audit(code)``, a check after
# the guardian's own that raises CovenantViolationError; ``provenance``, a dict added to
# the method's; ``remembered``, False to keep the method out of the library;
# ``candidates``, how many answers to ask for (1 where a trial run costs something: a
# facet's asks the persona, a tool method's calls the API).
_brief_providers: list = []


def register_brief_provider(provider) -> None:
    if provider not in _brief_providers:
        _brief_providers.append(provider)


def provided_brief(receiver, selector: str, args: tuple, image):
    """The first registered provider's brief for this send, or None."""
    for provider in _brief_providers:
        brief = provider(receiver, selector, args, image, sending_line())
        if brief is not None:
            return brief
    return None


# --- the pipeline -------------------------------------------------------------------------------------

class SynthesisFailed(UvmError):
    pass


class Trial(NamedTuple):
    """What running one candidate showed."""
    ok: bool
    value: object
    why: str
    outcome: str = ""   # for a rolled-back trial: what the send answered (and changed)


class TryAgain(Exception):
    """The person asked for another answer from the model (approval mode), with a hint."""

    def __init__(self, hint: str = ""):
        super().__init__(hint)
        self.hint = hint


class Synthesizer:
    """``synthesizer(receiver, message)``: write, audit, install and run the missing method."""

    def __init__(self, image, attempts: int = ATTEMPTS, backend=None,
                 seconds: float = TIME_LIMIT, memory_bytes: int | None = MEMORY_LIMIT,
                 candidates: int = CANDIDATES, writer: str | bool | None = None):
        self.image = image
        # approval mode: approver(selector, code, where) -> bool is asked before a method
        # is kept (the interactive REPL sets it; scripts and -c only with --approve)
        self.approver = None
        # the typo check: synthesize_anyway skips it (--synthesize-anyway); confirm_typo(
        # selector, suggestion) -> bool lets the person at a terminal ask the model anyway
        self.synthesize_anyway = False
        self.confirm_typo = None
        self.timeout: float | None = None  # seconds one generation may take; None: the setting
        self.writing = ""  # the selector being written, for the progress line
        self.attempts = max(1, attempts)
        self.candidates = max(1, candidates)
        # the method writer adapter: None for the setting (``method_writer()``), a name, or
        # False for the plain base model
        self.writer = writer
        self._backend = backend
        self.seconds, self.memory_bytes = seconds, memory_bytes
        self.active = 0
        # selector -> (the method being replaced, the person's hint): ``uvm methods
        # regenerate`` tells the model what it wrote before, and a fresh sample is drawn
        self.rewriting: dict[str, tuple[str, str]] = {}
        self._waited = 0.0   # seconds the person spent on the approval question
        self._in_model = 0.0  # seconds spent loading the model and generating
        self._edited = False

    def backend(self):
        if self._backend is not None:
            return self._backend
        from uvm.llm.settings import evaluation_backend
        return evaluation_backend(self.image)

    def __call__(self, receiver, message):
        selector, args = message.selector, tuple(message.arguments)
        provided = provided_brief(receiver, selector, args, self.image)
        typo = None if self.synthesize_anyway or provided is not None \
            else typo_of(selector, understood_selectors(receiver))
        if typo is not None and not (  # approval mode may ask whether to write it anyway
                self.confirm_typo and not self.active and self.confirm_typo(selector, typo)):
            raise UvmError(f"doesNotUnderstand: #{selector}, sent to {describe_value(receiver)} "
                           f"(did you mean #{typo}?)", selector=selector, receiver=receiver)
        if self.active:  # the method being written sent another unknown message
            raise UvmError(f"doesNotUnderstand: #{selector}, sent to {describe_value(receiver)} "
                           f"(inside a method being written)", selector=selector, receiver=receiver)
        self.active += 1
        self.writing = selector
        try:
            value = self._synthesize(receiver, selector, args, provided)
        finally:
            self.active -= 1
        from uvm.llm.progress import on_terminal
        if on_terminal():  # piped or redirected, a run's output stays what the program wrote
            _note_written(receiver, selector, self.image.lobby)
        return value

    def _synthesize(self, receiver, selector: str, args: tuple, brief=None):
        if brief is None:  # else a layer above wrote it (``register_brief_provider``)
            brief = Brief.for_send(receiver, selector, args, self.image, origin=sending_line())
        holder, signature = brief.holder, brief.signature
        audit = getattr(brief, "audit", None)
        key = (getattr(holder, "_p_oid", None), selector)
        cached = _conflict_cache.pop(key, None) if key[0] is not None else None
        failures: list[tuple[str, str]] = []
        started = clock()
        self._waited = self._in_model = 0.0
        self._edited = False
        rewrite = self.rewriting.get(selector)
        if rewrite is not None:
            old, hint = rewrite
            failures.append((old, "the person asked for it to be written again"
                             + (f" ({hint})" if hint else "") + "; the method it replaces was:\n"
                             + old.rstrip()))
        backend = None
        writer = None
        prompt_digest = None
        code = ""
        if cached is not None:
            try:
                trial = self._try(receiver, selector, args, holder, signature, cached,
                                  {"reused": "after a write conflict"}, audit=audit)
            except TryAgain:
                trial = Trial(False, None, "")
            if trial.ok:
                return trial.value
        examples = brief.examples()
        # with examples to test against, another round is worth more than with none
        rounds = max(self.attempts, EXAMPLE_ATTEMPTS) if examples else self.attempts
        attempt = 0
        while attempt < rounds:  # a while: the person's "try again" adds a round
            attempt += 1
            try:
                if backend is None:
                    backend = self.backend()
                    self._load(backend)  # the adapters it holds decide the prompt
                    # the writer learnt the method brief's prompt; a layer's own brief
                    # (a facet's) says whether it is one the writer knows
                    writer = self.writer_for(backend) if getattr(brief, "for_writer", True) else None
                msgs = brief.messages(failures, shots=WRITER_SHOTS if writer else SHOTS)
                if prompt_digest is None:
                    prompt_digest = hashlib.sha256(repr(msgs).encode()).hexdigest()[:16]
                answers = self._ask(backend, msgs, attempt, rounds, writer,
                                    getattr(brief, "candidates", self.candidates),
                                    fresh=rewrite is not None)
            except LLMError as e:
                raise UvmError(f"doesNotUnderstand: #{selector}, and the model could not be asked: {e}",
                               selector=selector, receiver=receiver) from None
            provenance = {"backend": getattr(backend, "spec", "?"), "model": _model_name(backend),
                          "persona": None, "adapter": writer, "prompt": prompt_digest,
                          "attempts": attempt, "candidates": len(answers), "chosen_by": None,
                          "seconds": None, "written": time.time(), "synthesized": True,
                          "sent_from": brief.origin_text(), "example": example_of(receiver, args),
                          **getattr(brief, "provenance", {})}
            good, first_failure, seen = [], None, set()
            for index, answer in enumerate(answers):
                code = with_covenant_line(code_from_answer(answer, signature, brief.answer_start()))
                if hasattr(brief, "revise"):
                    code = brief.revise(code)
                if code in seen:
                    continue
                seen.add(code)
                if "def " not in answer and not parses(code):
                    first_failure = first_failure or (
                        answer.strip() or "(an empty answer)",
                        "the answer was not a Python function (prose, not code)")
                    continue
                if len(answers) == 1:  # nothing to choose between: its one run is the kept run
                    good.append(Candidate(index, code))
                    break
                trial = self._try(receiver, selector, args, holder, signature, code, provenance,
                                  examples=examples, keep=False, audit=audit)
                if trial.ok:
                    good.append(Candidate(index, code, trial.outcome, changes_self=changes_self(code)))
                else:
                    first_failure = first_failure or (code, trial.why)
            if not good:
                failures.append(first_failure or ("(no code)", "the model gave no answer"))
                code = failures[-1][0]
                continue
            choice = self._choose(good, brief, backend, writer, bool(examples))
            code = choice.candidate.code
            provenance["chosen_by"] = choice.how
            try:  # the chosen one runs again, confined, and in approval mode is asked about
                trial = self._try(receiver, selector, args, holder, signature, code, provenance,
                                  started=started, examples=examples, audit=audit)
            except TryAgain as again:
                failures.append((code, "the person asked for another answer"
                                 + (f": {again.hint}" if again.hint else "")))
                rounds += 1  # the person's choice does not use up the model's rounds
                continue
            if trial.ok:
                if getattr(brief, "remembered", True):
                    library.remember(self.image, holder, brief.example())
                return trial.value
            failures.append((code, trial.why))
        code_shown = "\n".join("    " + l for l in (code or "(no code)").rstrip().split("\n"))
        raise SynthesisFailed(
            f"doesNotUnderstand: #{selector}, sent to {describe_value(receiver)}: the model could not "
            f"write it in {rounds} attempt{'s' if rounds > 1 else ''}; the last "
            f"attempt failed: {failures[-1][1] if failures else '?'}\n{code_shown}",
            selector=selector, receiver=receiver)

    def writer_for(self, backend) -> str | None:
        """The method writer adapter this backend holds (None: the plain base model)."""
        if self.writer is False:
            return None
        from uvm.llm.settings import method_writer
        name = self.writer or method_writer()
        try:
            return name if name and name in backend.adapter_names() else None
        except LLMError:
            return None

    def _load(self, backend) -> None:
        """Load the model (a terminal is told; the time counts as the model's)."""
        if not hasattr(backend, "load"):
            return
        from uvm.llm.progress import StatusLine, on_terminal, reporting
        status = StatusLine() if on_terminal() else None
        began = clock()
        try:
            with reporting((lambda text: status.show(f"writing #{self.writing}, loading the "
                                                     f"model: {text}")) if status else (lambda text: None)):
                backend.load()
        finally:
            self._in_model += clock() - began
            if status:
                status.close()

    def _ask(self, backend, msgs: list[dict], attempt: int, rounds: int,
             writer: str | None, count: int, fresh: bool = False) -> list[str]:
        """The candidates, in one batched generation (the first greedy in the first
        round; the rest, and every retry, sampled; seeded by the round unless ``fresh``, a
        regeneration, which draws anew). A terminal shows progress; the generation stops
        at the time limit or on Ctrl-C."""
        began = clock()
        try:
            return self._batch(backend, msgs, attempt, rounds, writer, count, fresh)
        finally:
            self._in_model += clock() - began

    def _batch(self, backend, msgs, attempt, rounds, writer, count, fresh) -> list[str]:
        from uvm.llm.progress import StatusLine, on_terminal
        limit = self.timeout if self.timeout is not None else generation_timeout()
        status = StatusLine() if on_terminal() else None
        what = f"writing #{self.writing} (attempt {attempt}/{rounds}" + (
            f", {count} candidates" if count > 1 else "")

        def progress(seconds: float, text: str) -> None:
            if seconds > limit:
                raise LLMError(f"the model took longer than {limit:g} s "
                               f"(${TIMEOUT_VARIABLE} sets the limit)")
            if status:
                status.show(f"{what}, {seconds:.1f} s)", text)
        try:
            if status:
                status.show(what + ")")
            return backend.complete_batch(msgs, count,
                                          greedy_first=attempt == 1 and not fresh,
                                          until=method_ended, progress=progress,
                                          max_tokens=MAX_TOKENS, temperature=RETRY_TEMPERATURE,
                                          stop=STOP, seed=None if fresh else attempt,
                                          adapter=writer)
        finally:
            if status:
                status.close()

    def _choose(self, good: list[Candidate], brief, backend, writer, with_examples: bool) -> Choice:
        """The candidate the evidence favours (``uvm.llm.synthesis.choice``)."""
        if with_examples or len(good) == 1 or len(groups_of(good)) == 1 or \
                any(c.changes_self for c in good):
            return by_agreement(good, with_examples)
        send = send_text(brief.receiver, brief.selector, brief.args, self.image.lobby)
        checks = []
        if send is not None:
            try:
                text = backend.complete(checks_messages(brief.selector, send, brief.intent()),
                                        max_tokens=CHECKS_TOKENS, temperature=0.0, adapter=writer)
                checks = parse_checks(text, brief.selector, send)
            except LLMError:
                checks = []
        if not checks:
            return by_agreement(good, False)
        for group in groups_of(good):
            passed = self._passes(brief, group[0].code, checks)
            for c in group:
                c.passed = passed
        return by_checks(good, len(checks))

    def _passes(self, brief, code: str, checks) -> int:
        """How many of the model's checks the candidate passes (installed in a savepoint,
        each check in its own, everything rolled back)."""
        try:
            fn = compile_audited(code, brief.signature, filename=f"<model:{brief.selector}>")
        except Exception:  # noqa: BLE001
            return 0
        sp = self.image.tm.savepoint()
        try:
            method = Method(brief.selector, "python", code, brief.signature.params[1:],
                            f"<model:{brief.selector}>", 1, 1, core=False)
            method._fn = fn
            brief.holder.define_slot(brief.selector, method, CONSTANT)
            send_mod.invalidate_all()
            with quiet():
                return sum(self._check_examples([(expr, self._literal(value))]) is None
                           for expr, value in checks)
        finally:
            self._rollback(sp)

    def _literal(self, source: str):
        from uvm.runtime.compiler import compile_program
        from uvm.syntax import parse
        return compile_program(parse(source, "<check>"))(self.image.lobby)

    def _try(self, receiver, selector, args, holder, signature, code, provenance, started=None,
             examples=(), keep=True, audit=None) -> "Trial":
        """Audit (the guardian, then the brief's own ``audit`` if any), compile, install
        in a savepoint, test against the user's examples, run -- confined, as every call of
        a model-written method is; keep it (``keep``: in
        approval mode after asking the person, telling them what else the run changed),
        or roll everything back and report what the run showed."""
        try:
            fn = compile_audited(code, signature, filename=f"<model:{selector}>")
            if audit is not None:
                audit(code)
        except CovenantViolationError as e:
            return Trial(False, None, f"the guardian rejected it: {e}")
        except Exception as e:  # noqa: BLE001 (compile errors the audit missed, the policy's)
            return Trial(False, None, f"it does not compile: {e}")
        tm = self.image.tm
        sp = tm.savepoint()
        send_mod.forget_objects()
        # approval mode: writes outside the policy are noted, not refused, and shown
        changed = membrane.recording = {} if self.approver is not None else None
        try:
            method = Method(selector, "python", code, signature.params[1:], f"<model:{selector}>",
                            1, 1, provenance=dict(provenance), core=False)
            method._fn = fn
            holder.define_slot(selector, method, CONSTANT)
            send_mod.invalidate_all()
            with contextlib.nullcontext() if keep else quiet():
                wrong = self._check_examples(examples)  # on the image as it was before the send
                if wrong is not None:
                    self._rollback(sp)
                    return Trial(False, None, wrong)
                with limits(self.seconds, self.memory_bytes):
                    value = send_mod.send(receiver, selector, *args)
        except (KeyboardInterrupt, SystemExit):
            self._rollback(sp)
            raise
        except SandboxTimeout as e:
            self._rollback(sp)
            return Trial(False, None, f"it was stopped: {e}")
        except (MemoryError, SandboxMemoryError) as e:
            self._rollback(sp)
            return Trial(False, None, f"it ran out of memory (the memory bound was hit: {e})")
        except ConfinementBreach as e:
            self._rollback(sp)
            return Trial(False, None, f"it was refused: {e}")
        except BaseException as e:  # noqa: BLE001
            self._rollback(sp)
            return Trial(False, None, f"running it raised {type(e).__name__}: {e}")
        finally:
            membrane.recording = None
        if value is None and not changes_self(code):  # it did nothing that anyone could see
            self._rollback(sp)
            return Trial(False, None, "it answered nothing (None) and changed nothing: return the result")
        if examples and not uses_its_inputs(code):
            self._rollback(sp)
            return Trial(False, None, "it ignores self and its arguments: compute the answer from them")
        if not keep:
            outcome = outcome_of(value, receiver)
            self._rollback(sp)
            return Trial(True, None, "", outcome)
        if self.approver is not None:
            edited = self._approve(receiver, selector, code, holder, method, changed, sp,
                                   signature)
            if edited is not None:  # the person's edit runs (confined) in its place
                trial = self._try(receiver, selector, args, holder, signature, edited,
                                  provenance, started, examples, audit=audit)
                if not trial.ok:
                    self._edited = False
                return trial
        if started is not None:
            self._note_times(holder, selector, started)
        self._record(holder, selector, code, provenance)
        return Trial(True, value, "")

    def _approve(self, receiver, selector, code, holder, method, changed: dict, sp,
                 signature) -> str | None:
        """Approval mode, after the confined first run: ask the person, telling them which
        objects besides the receiver the run changed. Yes keeps the method, and those
        objects become its grants (it may change them on later calls too); an edit the
        guardian passes is returned, to be run in its place; no raises (nothing stays), and
        "try again" raises ``TryAgain`` for another answer from the model."""
        from uvm.llm.synthesis.approval import decision_of
        where = where_it_goes(receiver, holder, self.image.lobby)
        others = list(changed.values())
        if others:
            where += "; when run it also changed " + ", ".join(
                name_of(o, self.image.lobby) for o in others) + \
                " (keeping it lets it change those on every call)"
        elif self._edited:  # the person's own edit, which changed nothing else: approved
            return None
        shown, note, refused = code, "", ""  # shown: the method, or a refused edit of it
        while True:
            began = clock()
            try:
                answer = (self.approver(selector, shown, where, note=note) if note
                          else self.approver(selector, shown, where))
            finally:
                self._waited += clock() - began
            decision = decision_of(answer)
            if decision.action == "install" and shown is code:
                self._grant(selector, code, method, others)
                return None
            if decision.action == "again":
                self._rollback(sp)
                raise TryAgain(decision.hint)
            if decision.action == "install":  # the refused edit cannot be installed
                note = refused + " (edit it again, or answer n)"
                continue
            if decision.action != "edit":
                self._rollback(sp)
                raise UvmError(f"doesNotUnderstand: #{selector}, and the model's method was "
                               "not installed (declined)", selector=selector, receiver=receiver)
            shown = with_covenant_line(decision.code)
            try:
                compile_audited(shown, signature, filename=f"<model:{selector}>")
            except CovenantViolationError as e:
                note = refused = f"The guardian rejected your edit: {e}"
                continue
            except Exception as e:  # noqa: BLE001 (compile errors the audit missed)
                note = refused = f"Your edit does not compile: {e}"
                continue
            self._rollback(sp)
            self._edited = True
            return shown

    def _grant(self, selector: str, code: str, method, others: list) -> None:
        """The objects outside the write policy an approved method changed may be changed
        by it from now on: recorded in its provenance and compiled into its policy."""
        grants = {o._p_oid.hex(): name_of(o, self.image.lobby)
                  for o in others if getattr(o, "_p_oid", None) is not None}
        if grants:
            method.provenance["may_change"] = grants
            method._fn = compile_audited(code, None, f"<model:{selector}>",
                                         grants=frozenset(bytes.fromhex(k) for k in grants))
            send_mod.invalidate(selector)  # caches hold the function compiled without them

    def _note_times(self, holder, selector: str, started: float) -> None:
        """Record how long writing the method took -- the model's time and the person's
        time on the approval question apart -- in the installed method's provenance. The
        method is looked up again: checking the examples rolled a savepoint back, which
        put a fresh copy of it in the holder."""
        method = holder._slots[selector]
        total = clock() - started
        method.provenance = dict(method.provenance or {}, **{
            "seconds": round(total - self._waited, 3),
            "model_seconds": round(self._in_model, 3),
            "waiting_seconds": round(self._waited, 3)},
            **({"edited": True} if self._edited else {}))
        holder._p_changed = True  # the method is part of its holder's state

    def _check_examples(self, examples) -> str | None:
        """Run each example (each in a savepoint rolled back after it): None when every one
        gives its value, else what went wrong."""
        from uvm.runtime.compiler import compile_program
        from uvm.syntax import parse
        for expr, expected in examples:
            sp = self.image.tm.savepoint()
            try:
                try:
                    code = compile_program(parse(expr, "<example>"))
                    with limits(self.seconds, self.memory_bytes):
                        got = code(self.image.lobby)
                except (KeyboardInterrupt, SystemExit):
                    raise
                except (SandboxTimeout, SandboxMemoryError) as e:
                    return f"the example `{expr}` was stopped: {e}"
                except BaseException as e:  # noqa: BLE001
                    return f"the example `{expr}` raised {type(e).__name__}: {e}"
                if not same_value(got, expected):
                    return f"the example `{expr}` gave {describe_value(got)}, not {describe_value(expected)}"
            finally:
                self._rollback(sp)
        return None

    def _rollback(self, sp) -> None:
        try:
            sp.rollback()
        finally:
            send_mod.forget_objects()
            send_mod.invalidate_all()
            try:
                self.image.world.refresh()
            except Exception:  # noqa: BLE001
                pass

    def _record(self, holder, selector, code, provenance) -> None:
        try:
            txn = self.image.tm.get()
        except Exception:  # noqa: BLE001
            return
        ext = txn.extension
        ext["uvm.model"] = provenance.get("model") or provenance.get("backend")
        ext["uvm.attempts"] = provenance.get("attempts", 0)
        ext.setdefault("uvm.synthesized", [])
        ext["uvm.synthesized"] = list(ext["uvm.synthesized"]) + [selector]
        oid = getattr(holder, "_p_oid", None)
        if oid is not None:
            def after_commit(status, key=(oid, selector), source=code):
                if not status:  # the commit failed (a write conflict): keep it for the retry
                    _conflict_cache[key] = source
            txn.addAfterCommitHook(after_commit)


def _model_name(backend) -> str:
    loaded = getattr(backend, "loaded", None)
    if loaded is not None and getattr(loaded, "name", None):
        return str(loaded.name)
    return str(getattr(backend, "spec", "?"))


# --- telling the person at the terminal -------------------------------------------------------------

def set_typo_question(confirm_typo) -> None:
    """Ask ``confirm_typo(selector, suggestion) -> bool`` before refusing a send as a typo
    (True: the model writes it anyway). No effect when no synthesizer is installed."""
    if isinstance(send_mod.synthesizer, Synthesizer):
        send_mod.synthesizer.confirm_typo = confirm_typo


def typo_question(selector: str, suggestion: str) -> str:
    return (f"#{selector} is not understood; did you mean #{suggestion}? "
            f"Write #{selector} with the model anyway?")


def name_of(obj, lobby: UvmObject) -> str:
    """A path from the lobby (``traits integer``), else a short description."""
    from uvm.runtime.naming import ObjectNames
    return ObjectNames(lobby).name(obj) or describe_value(obj)


def where_it_goes(receiver, holder: UvmObject, lobby: UvmObject) -> str:
    """Where a new method goes and who gets it, for the person approving it."""
    if not isinstance(receiver, UvmObject):
        return f"{name_of(holder, lobby)} (every {type_name(receiver)})"
    if holder is receiver:
        return f"{name_of(holder, lobby)} (and clones made from it after this)"
    return f"{name_of(holder, lobby)} (shared by everything that inherits from it)"


def _note_written(receiver, selector: str, lobby: UvmObject) -> None:
    """One line on standard error: which method the model wrote, where, how fast."""
    import sys
    holder = holder_for(receiver, lobby)
    provenance = getattr(holder._slots.get(selector), "provenance", None) or {}
    if provenance.get("attempts"):  # not a method reused after a write conflict
        print(f"wrote {name_of(holder, lobby)} {selector} (attempt {provenance['attempts']}, "
              f"{provenance.get('seconds') or 0:.1f} s)", file=sys.stderr, flush=True)
