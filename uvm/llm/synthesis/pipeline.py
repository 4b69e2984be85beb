"""The pipeline's driver: for a failed send, brief -> prompt -> answer -> audit -> run in a
savepoint -> keep or retry. The package docstring (``uvm.llm.synthesis``) lists the steps."""
from __future__ import annotations

import hashlib
import time

from uvm.llm.synthesis import library
from uvm.llm.synthesis.answer import code_from_answer, method_ended, parses, same_value, with_covenant_line
from uvm.llm.errors import LLMError
from uvm.llm.synthesis.guardian import CovenantViolationError, Signature, changes_self, uses_its_inputs
from uvm.llm.synthesis.prompt import Brief, arg_names_for
from uvm.llm.synthesis.receiver import (describe_value, example_of, holder_for, type_name, typo_of,
                              understood_selectors)
from uvm.llm.synthesis.sandbox import SandboxTimeout, compile_audited, limits
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
    """Ask ``approver(selector, code, where) -> bool`` before installing a model-written
    method (None: install without asking). No effect when no synthesizer is installed."""
    if isinstance(send_mod.synthesizer, Synthesizer):
        send_mod.synthesizer.approver = approver


def uninstall() -> None:
    send_mod.synthesizer = None


# --- the pipeline -------------------------------------------------------------------------------------

class SynthesisFailed(UvmError):
    pass


class Synthesizer:
    """``synthesizer(receiver, message)``: write, audit, install and run the missing method."""

    def __init__(self, image, attempts: int = ATTEMPTS, backend=None,
                 seconds: float = TIME_LIMIT, memory_bytes: int | None = MEMORY_LIMIT):
        self.image = image
        # approval mode: approver(selector, code, where) -> bool is asked before a method
        # is installed (the interactive REPL sets it; scripts and -c only with --approve)
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

    def backend(self):
        if self._backend is not None:
            return self._backend
        from uvm.llm.settings import backend_for, run_spec
        image = self.image
        if run_spec() == "embedded":
            # Awakening the image commits; never do it inside the user's transaction.
            try:
                from uvm.llm.pllm import get_pllm
                if get_pllm(image) is None:
                    image = None
            except Exception:  # noqa: BLE001
                image = None
        return backend_for(image)

    def __call__(self, receiver, message):
        selector, args = message.selector, tuple(message.arguments)
        typo = None if self.synthesize_anyway else typo_of(selector, understood_selectors(receiver))
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
            value = self._synthesize(receiver, selector, args)
        finally:
            self.active -= 1
        from uvm.llm.progress import on_terminal
        if on_terminal():  # piped or redirected, a run's output stays what the program wrote
            _note_written(receiver, selector, self.image.lobby)
        return value

    def _synthesize(self, receiver, selector: str, args: tuple):
        holder = holder_for(receiver, self.image.lobby)
        signature = Signature.for_selector(selector, arg_names_for(selector, args))
        brief = Brief(receiver, selector, args, holder, signature, origin=sending_line(),
                      image=self.image)
        key = (getattr(holder, "_p_oid", None), selector)
        cached = _conflict_cache.pop(key, None) if key[0] is not None else None
        failures: list[tuple[str, str]] = []
        started = time.monotonic()
        backend = None
        prompt_digest = None
        attempt = 0
        code = ""
        if cached is not None:
            ok, value, why = self._try(receiver, selector, args, holder, signature, cached,
                                       {"reused": "after a write conflict"})
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
                answer = self._ask(backend, msgs, attempt)
            except LLMError as e:
                raise UvmError(f"doesNotUnderstand: #{selector}: the model could not be asked: {e}",
                               selector=selector, receiver=receiver) from None
            code = with_covenant_line(code_from_answer(answer, signature, brief.answer_start()))
            provenance = {"backend": getattr(backend, "spec", "?"), "model": _model_name(backend),
                          "persona": None,  # methods are written by the base model
                          "prompt": prompt_digest, "attempts": attempt,
                          "seconds": None, "written": time.time(), "synthesized": True,
                          "sent_from": brief.origin_text(), "example": example_of(receiver, args)}
            if "def " not in answer and not parses(code):
                failures.append((answer.strip() or "(an empty answer)",
                                 "the answer was not a Python function (prose, not code)"))
                code = answer.strip()
                continue
            ok, value, why = self._try(receiver, selector, args, holder, signature, code,
                                       provenance, started=started, examples=examples)
            if ok:
                library.remember(self.image, holder, brief.example())
                return value
            failures.append((code, why))
        code_shown = "\n".join("    " + l for l in (code or "(no code)").rstrip().split("\n"))
        raise SynthesisFailed(
            f"doesNotUnderstand: #{selector}, sent to {describe_value(receiver)}: the model could not "
            f"write it in {attempts} attempt{'s' if attempts > 1 else ''}; the last "
            f"attempt failed: {failures[-1][1] if failures else '?'}\n{code_shown}",
            selector=selector, receiver=receiver)

    def _ask(self, backend, msgs: list[dict], attempt: int) -> str:
        """One answer from the model (greedy first; retries sample). Streamed, so that a
        terminal shows progress and the generation stops at the time limit or on Ctrl-C
        (closing the stream tells the backend to stop)."""
        from contextlib import closing

        from uvm.llm.progress import StatusLine, on_terminal
        limit = self.timeout if self.timeout is not None else generation_timeout()
        status = StatusLine() if on_terminal() else None
        what = f"writing #{self.writing} (attempt {attempt}/{self.attempts}"
        try:
            if status:
                status.show(what + ")")
            if hasattr(backend, "load"):  # loading the model is not generating: not timed
                backend.load()
            started, text = time.monotonic(), ""
            with closing(backend.stream(msgs, max_tokens=MAX_TOKENS,
                                        temperature=0.0 if attempt == 1 else RETRY_TEMPERATURE,
                                        stop=STOP, seed=attempt)) as pieces:
                for piece in pieces:
                    text += piece
                    if "\n" in piece and method_ended(text):
                        break  # closing the stream stops the generation
                    seconds = time.monotonic() - started
                    if seconds > limit:
                        raise LLMError(f"the model took longer than {limit:g} s "
                                       f"(${TIMEOUT_VARIABLE} sets the limit)")
                    if status:
                        status.show(f"{what}, {seconds:.1f} s)", text)
        finally:
            if status:
                status.close()
        return text

    def _try(self, receiver, selector, args, holder, signature, code, provenance, started=None,
             examples=()):
        """Audit, compile, install in a savepoint, run, test against the user's examples;
        (ok, value, why)."""
        try:
            fn = compile_audited(code, signature, filename=f"<model:{selector}>")
        except CovenantViolationError as e:
            return False, None, f"the guardian rejected it: {e}"
        except Exception as e:  # noqa: BLE001 (compile errors the audit missed)
            return False, None, f"it does not compile: {e}"
        if self.approver is not None and not self.approver(
                selector, code, where_it_goes(receiver, holder, self.image.lobby)):
            raise UvmError(f"doesNotUnderstand: #{selector}: the model's method was not "
                           "installed (declined)", selector=selector, receiver=receiver)
        tm = self.image.tm
        sp = tm.savepoint()
        send_mod.forget_objects()
        try:
            method = Method(selector, "python", code, signature.params[1:], f"<model:{selector}>",
                            1, 1, provenance=dict(provenance), core=False)
            method._fn = fn
            holder.define_slot(selector, method, CONSTANT)
            send_mod.invalidate_all()
            wrong = self._check_examples(examples)  # on the image as it was before the send
            if wrong is not None:
                self._rollback(sp)
                return False, None, wrong
            with limits(self.seconds, self.memory_bytes):
                value = send_mod.send(receiver, selector, *args)
        except (KeyboardInterrupt, SystemExit):
            self._rollback(sp)
            raise
        except SandboxTimeout as e:
            self._rollback(sp)
            return False, None, f"it was stopped: {e}"
        except MemoryError:
            self._rollback(sp)
            return False, None, "it ran out of memory (the memory bound was hit)"
        except BaseException as e:  # noqa: BLE001
            self._rollback(sp)
            return False, None, f"running it raised {type(e).__name__}: {e}"
        if value is None and not changes_self(code):  # it did nothing that anyone could see
            self._rollback(sp)
            return False, None, "it answered nothing (None) and changed nothing: return the result"
        if examples and not uses_its_inputs(code):
            self._rollback(sp)
            return False, None, "it ignores self and its arguments: compute the answer from them"
        if started is not None:
            method.provenance["seconds"] = round(time.monotonic() - started, 3)
        self._record(holder, selector, code, provenance)
        return True, value, ""

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
                except SandboxTimeout as e:
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

TIMEOUT_VARIABLE = "UVM_LLM_TIMEOUT"
GENERATION_TIMEOUT = 120.0


def generation_timeout() -> float:
    """Seconds one generation may take: ``$UVM_LLM_TIMEOUT``, else 120 (a small model on a
    slow machine needs tens of seconds; a hung one should not hold the evaluation)."""
    import os
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return GENERATION_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise LLMError(f"${TIMEOUT_VARIABLE} must be a number of seconds, not {raw!r}")
    return seconds


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
