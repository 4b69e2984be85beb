"""The pipeline's driver: for a failed send, brief -> prompt -> answer -> audit -> run in a
savepoint -> keep or retry. The package docstring (``uvm.llm.synthesis``) lists the steps."""
from __future__ import annotations

import hashlib
import time

from uvm.llm.synthesis import library
from uvm.llm.synthesis.answer import code_from_answer, method_ended, parses, same_value, with_covenant_line
from uvm.llm.errors import LLMError
from uvm.llm.generation import generate
from uvm.llm.synthesis.guardian import CovenantViolationError, Signature, changes_self, uses_its_inputs
from uvm.llm.synthesis.prompt import Brief, arg_names_for
from uvm.llm.synthesis.receiver import (describe_value, example_of, holder_for, type_name, typo_of,
                              understood_selectors)
from uvm.llm.synthesis.sandbox import (ConfinementBreach, SandboxMemoryError, SandboxTimeout,
                                       compile_audited, limits)
from uvm.runtime.confinement import membrane
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError, sending_line
from uvm.runtime.objects import Method, UvmObject

CONSTANT = 0
ATTEMPTS = 3
EXAMPLE_ATTEMPTS = 6  # when the user gave examples, each sample is tested before it is kept
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
# A layer above uvm.llm (the mind's facets, uvm.cognition.facets) writes the brief for the
# receivers it knows: provider(receiver, selector, args, image, origin) -> a Brief, or None
# to leave the send to the ordinary brief. The pipeline uses such a brief as it is (its
# holder and signature included), skips the typo check (the provider knows the selector
# is meant) and asks it for four more things when it has them: ``revise(code)``, the
# code with a small slip put right before the audit (as a forgotten covenant line is
# added); ``audit(code)``, a check after the guardian's own that raises
# CovenantViolationError; ``provenance``, a dict added to the method's; ``remembered``,
# False to keep the method out of the library.
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


class TryAgain(Exception):
    """The person asked for another answer from the model (approval mode), with a hint."""

    def __init__(self, hint: str = ""):
        super().__init__(hint)
        self.hint = hint


class Synthesizer:
    """``synthesizer(receiver, message)``: write, audit, install and run the missing method."""

    def __init__(self, image, attempts: int = ATTEMPTS, backend=None,
                 seconds: float = TIME_LIMIT, memory_bytes: int | None = MEMORY_LIMIT):
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
        if brief is None:
            holder = holder_for(receiver, self.image.lobby)
            signature = Signature.for_selector(selector, arg_names_for(selector, args))
            brief = Brief(receiver, selector, args, holder, signature, origin=sending_line(),
                          image=self.image)
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
        prompt_digest = None
        attempt = 0
        code = ""
        if cached is not None:
            try:
                ok, value, why = self._try(receiver, selector, args, holder, signature, cached,
                                           {"reused": "after a write conflict"}, audit=audit)
            except TryAgain:
                ok, value = False, None
            if ok:
                return value
        examples = brief.examples()
        # with examples to test against, another sample is worth more than with none
        attempts = max(self.attempts, EXAMPLE_ATTEMPTS) if examples else self.attempts
        while attempt < attempts:
            attempt += 1
            if backend is None:
                backend = self.backend()
            msgs = brief.messages(failures)
            if prompt_digest is None:
                prompt_digest = hashlib.sha256(repr(msgs).encode()).hexdigest()[:16]
            try:
                answer = self._ask(backend, msgs, attempt, attempts, sample=bool(failures),
                                   fresh=rewrite is not None)
            except LLMError as e:
                raise UvmError(f"doesNotUnderstand: #{selector}, and the model could not be asked: {e}",
                               selector=selector, receiver=receiver) from None
            code = with_covenant_line(code_from_answer(answer, signature, brief.answer_start()))
            if hasattr(brief, "revise"):
                code = brief.revise(code)
            provenance = {"backend": getattr(backend, "spec", "?"), "model": _model_name(backend),
                          "persona": None,  # methods are written by the base model
                          "prompt": prompt_digest, "attempts": attempt,
                          "seconds": None, "written": time.time(), "synthesized": True,
                          "sent_from": brief.origin_text(), "example": example_of(receiver, args),
                          **getattr(brief, "provenance", {})}
            if "def " not in answer and not parses(code):
                failures.append((answer.strip() or "(an empty answer)",
                                 "the answer was not a Python function (prose, not code)"))
                code = answer.strip()
                continue
            try:
                ok, value, why = self._try(receiver, selector, args, holder, signature, code,
                                           provenance, started=started, examples=examples,
                                           audit=audit)
            except TryAgain as again:
                failures.append((code, "the person asked for another answer"
                                 + (f": {again.hint}" if again.hint else "")))
                attempts += 1  # the person's choice does not use up the model's attempts
                continue
            if ok:
                if getattr(brief, "remembered", True):
                    library.remember(self.image, holder, brief.example())
                return value
            failures.append((code, why))
        code_shown = "\n".join("    " + l for l in (code or "(no code)").rstrip().split("\n"))
        raise SynthesisFailed(
            f"doesNotUnderstand: #{selector}, sent to {describe_value(receiver)}: the model could not "
            f"write it in {attempts} attempt{'s' if attempts > 1 else ''}; the last "
            f"attempt failed: {failures[-1][1] if failures else '?'}\n{code_shown}",
            selector=selector, receiver=receiver)

    def _ask(self, backend, msgs: list[dict], attempt: int, attempts: int,
             sample: bool = False, fresh: bool = False) -> str:
        """One answer from the model: greedy unless ``sample`` (a retry: greedy decoding
        would repeat the failed answer), seeded by the attempt unless ``fresh`` (a
        regeneration: each one draws anew). The time limit, status line and Ctrl-C are
        those of every generation in an evaluation (``uvm.llm.generation``); it ends as
        soon as the method has."""
        what = f"writing #{self.writing} (attempt {attempt}/{attempts}"
        began = clock()
        try:
            return generate(backend, msgs, timeout=self.timeout, ended=method_ended,
                            status=lambda s: what + (")" if s is None else f", {s:.1f} s)"),
                            loading=lambda text: f"{what}, loading the model: {text})",
                            max_tokens=MAX_TOKENS, stop=STOP, seed=None if fresh else attempt,
                            temperature=RETRY_TEMPERATURE if sample else 0.0)
        finally:
            self._in_model += clock() - began

    def _try(self, receiver, selector, args, holder, signature, code, provenance, started=None,
             examples=(), audit=None):
        """Audit (the guardian, then the brief's own ``audit`` if any), compile, install in
        a savepoint, run, test against the user's examples; in approval mode ask the person
        (telling them what else the run changed); (ok, value, why)."""
        try:
            fn = compile_audited(code, signature, filename=f"<model:{selector}>")
            if audit is not None:
                audit(code)
        except CovenantViolationError as e:
            return False, None, f"the guardian rejected it: {e}"
        except Exception as e:  # noqa: BLE001 (compile errors the audit missed, the policy's)
            return False, None, f"it does not compile: {e}"
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
            with limits(self.seconds, self.memory_bytes):
                value = send_mod.send(receiver, selector, *args)
        except (KeyboardInterrupt, SystemExit):
            self._rollback(sp)
            raise
        except SandboxTimeout as e:
            self._rollback(sp)
            return False, None, f"it was stopped: {e}"
        except (MemoryError, SandboxMemoryError) as e:
            self._rollback(sp)
            return False, None, f"it ran out of memory (the memory bound was hit: {e})"
        except ConfinementBreach as e:
            self._rollback(sp)
            return False, None, f"it was refused: {e}"
        except BaseException as e:  # noqa: BLE001
            self._rollback(sp)
            return False, None, f"running it raised {type(e).__name__}: {e}"
        finally:
            membrane.recording = None
        if value is None and not changes_self(code):  # it did nothing that anyone could see
            self._rollback(sp)
            return False, None, "it answered nothing (None) and changed nothing: return the result"
        membrane.recording = changed
        try:
            wrong = self._check_examples(examples)
        finally:
            membrane.recording = None
        if wrong is None and examples and not uses_its_inputs(code):
            wrong = "it ignores self and its arguments: compute the answer from them"
        if wrong is not None:
            self._rollback(sp)
            return False, None, wrong
        if self.approver is not None:
            edited = self._approve(receiver, selector, code, holder, method, changed, sp,
                                   signature)
            if edited is not None:  # the person's edit runs (confined) in its place
                ok, value, why = self._try(receiver, selector, args, holder, signature, edited,
                                           provenance, started, examples)
                if not ok:
                    self._edited = False
                return ok, value, why
        if started is not None:
            self._note_times(holder, selector, started)
        self._record(holder, selector, code, provenance)
        return True, value, ""

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
        """Run each example (after the first send, in a savepoint rolled back after): None
        when every one gives its value, else what went wrong."""
        if not examples:
            return None
        from uvm.runtime.compiler import compile_program
        from uvm.syntax import parse
        sp = self.image.tm.savepoint()
        try:
            for expr, expected in examples:
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
            return None
        finally:
            self._rollback(sp)

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
