"""JIT for intent: methods written by the model when a send is not understood.

``install(image)`` sets ``uvm.runtime.send.synthesizer`` (the hook the default
``doesNotUnderstand:`` calls) to a ``Synthesizer`` when the run has a model. For a failed
send it:

1. treats a selector a small edit away from one the receiver understands as a typo
   ("did you mean ...?") and never asks the model;
2. writes a mission brief (selector, arguments and their types, the receiver's slots and
   parent chain, nearby method sources, an intent the user wrote) and a few-shot prompt
   that ends with the method's exact signature (``def triple_(self, n):``);
3. extracts the function from the answer, audits it (``uvm.llm.guardian``) and compiles it
   with the sandbox's builtins (``uvm.llm.sandbox``);
4. installs it inside a savepoint and runs the original send under a time and memory
   limit; on any failure rolls the savepoint back and retries with the error fed back;
5. on success keeps the method with its provenance and records the model and attempts
   in the transaction's metadata; when every attempt fails, raises a ``UvmError`` naming
   the selector, the last attempt's code and why it failed.

``uvm.open`` never installs it by itself; the CLI does, embedders call ``install``.
"""
from __future__ import annotations

import hashlib
import re
import time

from uvm.llm import library
from uvm.llm.errors import LLMError
from uvm.llm.guardian import (CovenantViolationError, Signature, add_covenant_line, changes_self,
                              uses_its_inputs)
from uvm.llm.sandbox import SandboxTimeout, compile_audited, limits
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError, sending_line
from uvm.runtime.objects import Method, UvmObject, map_of

CONSTANT = 0
ATTEMPTS = 3
EXAMPLE_ATTEMPTS = 6  # when the user gave examples, each sample is tested before it is kept
TIME_LIMIT = 2.0
MEMORY_LIMIT = 512 * 1024 * 1024
MAX_TOKENS = 160
STOP = ("\n\n\n", "\nComplete:")  # the method's own end is found by ``method_ended``
RETRY_TEMPERATURE = 0.7  # retries sample: greedy decoding would repeat the failed answer
SHOTS = 3  # worked examples from the method library in each prompt

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


# --- helpers ----------------------------------------------------------------------------------------

def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance (stops counting past ``limit``)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _start(receiver) -> UvmObject:
    return receiver if isinstance(receiver, UvmObject) else send_mod.trait_of(receiver)


def parent_chain(start: UvmObject) -> list[UvmObject]:
    """The objects lookup visits from ``start``, in order, each once."""
    seen, out = set(), []

    def walk(obj):
        if id(obj) in seen or not isinstance(obj, UvmObject):
            return
        seen.add(id(obj))
        out.append(obj)
        for p in map_of(obj).parents:
            walk(obj._slots[p])
    walk(start)
    return out


def understood_selectors(receiver) -> set[str]:
    names = set()
    for obj in parent_chain(_start(receiver)):
        for name in obj._slots:
            names.add(name)
            names.add(name + ":")  # assignable slots answer their setter too (close enough)
    return {n for n in names if not n.startswith("_")}


def typo_of(selector: str, known: set[str]) -> str | None:
    """The closest known selector a small edit away, if any (a typo, not an intent)."""
    if selector in known:
        return None
    limit = 1 if len(selector) <= 7 else 2  # `sort` and `sorted` are two intents
    best, best_d = None, limit + 1
    for k in sorted(known):
        if k.count(":") != selector.count(":"):
            continue
        d = edit_distance(selector, k, limit)
        if d < best_d:
            best, best_d = k, d
    return best if best_d <= limit else None


def core_objects(lobby: UvmObject) -> set[int]:
    ids = {id(lobby)}
    for name in ("globals", "defaultBehavior", "traits", "mixins"):
        v = lobby._slots.get(name)
        if isinstance(v, UvmObject):
            ids.add(id(v))
    traits = lobby._slots.get("traits")
    if isinstance(traits, UvmObject):
        ids.update(id(v) for v in traits._slots.values() if isinstance(v, UvmObject))
    return ids


def holder_for(receiver, lobby: UvmObject) -> UvmObject:
    """Where the new method goes: a host value's trait; else the nearest user-made object on
    the receiver's parent chain; else the receiver."""
    if not isinstance(receiver, UvmObject):
        return send_mod.trait_of(receiver)
    core = core_objects(lobby)
    for obj in parent_chain(receiver)[1:]:  # a user-made parent is shared by its children
        if id(obj) in core:
            continue
        if any(isinstance(v, Method) and getattr(v, "core", False) for v in obj._slots.values()):
            continue
        return obj
    return receiver


def _describe(value) -> str:
    from uvm.runtime.printing import describe, number_string, string_literal
    try:
        if isinstance(value, UvmObject):
            s = describe(value)
        elif type(value) in (int, float):
            s = number_string(value)
        elif type(value) is str:
            s = string_literal(value)
        elif value is None:
            s = "nil"
        elif type(value) is bool:
            s = "true" if value else "false"
        else:
            s = repr(value)
    except Exception:  # noqa: BLE001
        s = object.__repr__(value)
    return s if len(s) <= 60 else s[:57] + "..."


def literal_of(value) -> str | None:
    """UVM source that evaluates to ``value`` again, for plain values; else None."""
    from uvm.runtime.printing import number_string, string_literal
    if type(value) in (int, float):
        return number_string(value)
    if type(value) is str:
        return string_literal(value)
    if type(value) is bool:
        return "true" if value else "false"
    if value is None:
        return "nil"
    return None


def example_of(receiver, args: tuple) -> dict:
    """The send as data, so the method can be written again (``uvm methods regenerate``):
    the receiver's and arguments' UVM literals, None where a value has none."""
    return {"receiver": literal_of(receiver), "args": [literal_of(a) for a in args]}


def _type_name(value) -> str:
    if isinstance(value, UvmObject):
        return "object"
    return {int: "integer", float: "float", str: "string", bool: "boolean",
            type(None): "nil"}.get(type(value), type(value).__name__)


def arg_names_for(selector: str, args: tuple) -> tuple[str, ...]:
    """Parameter names a small model reads right: the keyword parts when each is a plain
    word (``at:Put:`` -> at, put); one argument by what it is (n, text, items); else by
    position and kind (a, b, c for numbers), since ``hypotenuseOf:And:`` names no argument."""
    if not selector[:1].isalpha():
        return ("other",)
    parts = [p for p in selector.split(":") if p]
    if len(parts) != len(args):
        return tuple(f"arg{i + 1}" for i in range(len(args)))
    if len(args) == 1:
        a, word = args[0], parts[0].lower()
        if type(a) in (int, float):
            return (word if word in ("by", "to") else "n",)
        if type(a) is str:
            return ("text",)
        if isinstance(a, (list, tuple)) or type(a).__name__ == "UvmList":
            return ("items",)
        return (word if _plain_word(word) else "other",)
    if all(_plain_word(p) for p in parts) and len({p.lower() for p in parts}) == len(parts):
        return tuple(p.lower() for p in parts)
    names, counts = [], {}
    for a in args:
        kind = "number" if type(a) in (int, float) else "text" if type(a) is str else "other"
        i = counts[kind] = counts.get(kind, 0) + 1
        names.append("abcdefgh"[i - 1] if kind == "number"
                     else kind if i == 1 else f"{kind}{i}")
    return tuple(names)


def _plain_word(part: str) -> bool:
    """One lower-case word that names a thing (not ``Of``, ``With``, ``hypotenuseOf``)."""
    return part.isalpha() and part[1:].islower() and part.lower() not in _RESERVED \
        and part.lower() not in _LINKING


_LINKING = {"of", "to", "with", "and", "or", "by", "from", "in", "on", "into", "than", "if"}

_RESERVED = {"and", "or", "not", "if", "else", "for", "while", "in", "is", "def", "return",
             "lambda", "with", "as", "from", "import", "class", "try", "pass", "none", "true",
             "false", "del", "global", "yield", "raise", "assert", "break", "continue", "elif",
             "except", "finally", "nonlocal", "async", "await", "print", "len", "sum", "max",
             "min", "list", "str", "int", "dict", "set", "type", "id", "range", "map", "filter"}


# --- extracting the function ---------------------------------------------------------------------

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)(?:```|\Z)", re.S)


def extract_function(answer: str, signature: Signature, completed_from_signature: bool = True) -> str:
    """The ``def`` in the model's answer: from a code fence or among prose; a bare body (what
    follows the signature the prompt ended with) gets the signature prepended."""
    text = answer.replace("\r\n", "\n")
    m = _FENCE.search(text)
    if m:
        text = m.group(1)
    lines = text.split("\n")
    start = next((i for i, l in enumerate(lines) if l.lstrip().startswith("def ")), None)
    if start is None:
        if not completed_from_signature:
            return text.strip()
        body = [l for l in lines]
        while body and not body[0].strip():
            body.pop(0)
        if not body:
            return signature.source() + "\n    pass\n"
        # the model continued the signature: indent the body consistently
        indent = len(body[0]) - len(body[0].lstrip())
        fixed = []
        for l in body:
            if not l.strip():
                fixed.append("")
                continue
            cur = len(l) - len(l.lstrip())
            if cur < indent or (indent == 0 and fixed and not l.startswith((" ", "\t"))
                                and not _continues(fixed)):
                break
            fixed.append("    " + l[indent:])
        return _trim(signature.source() + "\n" + "\n".join(fixed))
    lines = lines[start:]
    base = len(lines[0]) - len(lines[0].lstrip())
    out = [lines[0][base:]]
    for l in lines[1:]:
        if l.strip() and len(l) - len(l.lstrip()) <= base:
            break  # the function ended (prose or another statement follows)
        out.append(l[base:] if l.strip() else "")
    return _trim("\n".join(out))


def _continues(fixed: list[str]) -> bool:
    last = next((l for l in reversed(fixed) if l.strip()), "")
    return last.rstrip().endswith((":", "\\", ",", "(", "["))


def _trim(source: str) -> str:
    return source.rstrip() + "\n"


# --- the prompt -------------------------------------------------------------------------------------

SYSTEM = ("You write one Python method for a live object system. Answer with the Python "
          "function only: no prose, no imports, no names starting with '_'. `self` is the "
          "receiver; an object's slots are read and written as `self.name`.")


def request_text(ex: library.Example, signature: str, extra: tuple[str, ...] = (),
                 examples: str = "") -> str:
    """The user's side of one exchange, the same for the worked examples and the real
    brief (small models follow a pattern they have just seen)."""
    if ex.kind == "object":
        what = "an object"
    else:
        what = f"the {ex.kind} {ex.receiver}"
    line = f"Write the method `{ex.selector}` sent to {what}"
    if ex.args:
        shown = ", ".join(f"{v} (a{'n' if t[0] in 'aeiou' else ''} {t})" for v, t in ex.args)
        line += f" with the argument{'s' if len(ex.args) > 1 else ''} {shown}"
    lines = [line + "."]
    if ex.slots:
        lines.append("Its slots: " + ", ".join(f"self.{n} = {v}" for n, v in ex.slots) + ".")
    lines.extend(extra)
    if ex.intent:
        lines.append(f"What it should do: {ex.intent}")
    if examples:
        lines.append(examples)
    lines.append("Complete:\n" + signature)
    return "\n".join(lines)


class Brief:
    """The mission brief for one failed send."""

    def __init__(self, receiver, selector: str, args: tuple, holder: UvmObject,
                 signature: Signature, origin=None, image=None):
        self.receiver, self.selector, self.args = receiver, selector, args
        self.holder, self.signature = holder, signature
        self.origin = origin  # (Frame, source line) of the send, when UVM code made it
        self.image = image

    def origin_text(self) -> str | None:
        if self.origin is None:
            return None
        frame, line = self.origin
        return f"{frame.location()}: {line}"

    def example(self) -> library.Example:
        """This send as a library query (and, once written, as a library entry)."""
        r = self.receiver
        slots = []
        if isinstance(r, UvmObject):
            parents = map_of(r).parents
            slots = [(n, _describe(v)) for n, v in r._slots.items()
                     if not n.startswith("_") and n not in parents and n not in ("intents", "examples")
                     and not isinstance(v, Method)][:8]
        return library.make(self.selector, "object" if isinstance(r, UvmObject) else _type_name(r),
                            _describe(r), [(_describe(a), _type_name(a)) for a in self.args],
                            slots, self.intent() or "")

    def text(self) -> str:
        extra = []
        start = _start(self.receiver)
        core = core_objects(send_mod.world.lobby) if send_mod.world is not None else set()
        chain = [o for o in parent_chain(start)[:5] if id(o) not in core or o is start]
        if len(chain) > 1:
            extra.append("It inherits from: " + " -> ".join(_describe(o)[:30] for o in chain[1:]) + ".")
        nearby = [v for k, v in self.holder._slots.items()
                  if isinstance(v, Method) and v.language == "python" and k != self.selector][:2]
        for m in nearby:
            extra.append("A method it already has:\n" + m.source.strip())
        if self.origin is not None:
            extra.append(f"The send is in this line: {self.origin[1]}")
        shown = "; ".join(f"`{expr}` gives {_describe(value)}" for expr, value in self.examples())
        return request_text(self.example(), self.signature.source(), tuple(extra),
                            f"For example: {shown}." if shown else "")

    def intent(self) -> str | None:
        """An intent the user wrote for this selector (``obj intend: 'sel' As: 'text'`` keeps
        it in the receiver's or holder's ``intents`` dictionary)."""
        for obj in (self.receiver, self.holder):
            slots = getattr(obj, "_slots", None) or {}
            intents = slots.get("intents")
            if intents is not None and hasattr(intents, "get"):
                v = intents.get(self.selector)
                if isinstance(v, str):
                    return v
        return None

    def examples(self) -> list[tuple[str, object]]:
        """The user's examples for this selector (``obj intend: 'sel' Example: 'expr'
        Gives: value`` keeps them in an ``examples`` dictionary): (expression, value)."""
        for obj in (self.receiver, self.holder):
            slots = getattr(obj, "_slots", None) or {}
            table = slots.get("examples")
            pairs = table.get(self.selector) if table is not None and hasattr(table, "get") else None
            if pairs:
                return [(p[0], p[1]) for p in pairs if len(p) == 2 and isinstance(p[0], str)]
        return []

    def worked_examples(self) -> list[library.Example]:
        """The library's methods most like this one: the seed and this image's own."""
        candidates = list(library.seed())
        if self.image is not None:
            candidates += library.image_examples(self.image)
        return library.similar(self.example(), candidates, n=SHOTS)

    def messages(self, failures: list[tuple[str, str]]) -> list[dict]:
        """System, worked examples, the brief (with what went wrong before), and the
        signature as the start of the answer, for the model to continue."""
        msgs = [{"role": "system", "content": SYSTEM}]
        for ex in self.worked_examples():
            first = ex.source.split("\n", 1)[0]
            msgs += [{"role": "user", "content": request_text(ex, first)},
                     {"role": "assistant", "content": ex.source}]
        text = self.text()
        if failures:
            code, why = failures[-1]
            text += f"\n(An earlier answer failed: {why}. Write a correct one.)"
        msgs.append({"role": "user", "content": text})
        msgs.append({"role": "assistant", "content": self.answer_start()})
        return msgs

    def answer_start(self) -> str:
        """What the answer starts with: the signature and the body's indent."""
        return self.signature.source() + "\n    "


def same_value(got, expected) -> bool:
    """Example equality: numbers by value (an int may stand for a float), sequences item
    by item, objects by identity, the rest by ==."""
    import math
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None:
        return got is expected
    if type(expected) in (int, float) and type(got) in (int, float):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, UvmObject) or isinstance(got, UvmObject):
        return got is expected
    seq = (list, tuple)
    if isinstance(expected, seq) or type(expected).__name__ == "UvmList":
        try:
            a, b = list(got), list(expected)
        except TypeError:
            return False
        return (isinstance(got, seq) or type(got).__name__ == "UvmList") and len(a) == len(b) \
            and all(same_value(x, y) for x, y in zip(a, b))
    return type(got) is type(expected) and got == expected


def method_ended(answer: str) -> bool:
    """Whether the answer's method is complete: a finished line back at (or left of) the
    method's own margin follows it. Small models go on writing more functions; stopping
    there saves most of the generation time."""
    lines = answer.split("\n")[:-1]  # complete lines only
    head = answer.lstrip()
    if not head.startswith(("def ", "```")):  # the body continues the signature we gave
        return any(l.strip() and not l[0].isspace() for l in lines[1:])
    start = next((i for i, l in enumerate(lines) if l.lstrip().startswith("def ")), None)
    if start is None:
        return False
    margin = len(lines[start]) - len(lines[start].lstrip())
    return any(l.strip() and len(l) - len(l.lstrip()) <= margin for l in lines[start + 1:])


def with_covenant_line(code: str) -> str:
    """``code`` with the Persistence Covenant's line added where the model forgot it (an
    answer that does not parse is left for the audit to reject)."""
    try:
        return add_covenant_line(code)
    except (SyntaxError, IndexError, AttributeError):
        return code


def code_from_answer(answer: str, signature: Signature, start: str) -> str:
    """The function: the answer continues ``start``, the signature it was given (a backend
    that cannot continue a message answers a whole ``def``, perhaps in a fence)."""
    head = answer.lstrip()
    if head.startswith(("def ", "```")):
        return extract_function(answer, signature)
    return extract_function(start + answer, signature)


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
            raise UvmError(f"doesNotUnderstand: #{selector}, sent to {_describe(receiver)} "
                           f"(did you mean #{typo}?)", selector=selector, receiver=receiver)
        if self.active:  # the method being written sent another unknown message
            raise UvmError(f"doesNotUnderstand: #{selector}, sent to {_describe(receiver)} "
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
                          "prompt": prompt_digest, "attempts": attempt,
                          "seconds": None, "written": time.time(), "synthesized": True,
                          "sent_from": brief.origin_text(), "example": example_of(receiver, args)}
            if "def " not in answer and not _parses(code):
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
            f"doesNotUnderstand: #{selector}, sent to {_describe(receiver)}: the model could not "
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
        wrong = self._check_examples(examples)
        if wrong is None and examples and not uses_its_inputs(code):
            wrong = "it ignores self and its arguments: compute the answer from them"
        if wrong is not None:
            self._rollback(sp)
            return False, None, wrong
        if started is not None:
            method.provenance["seconds"] = round(time.monotonic() - started, 3)
        self._record(holder, selector, code, provenance)
        return True, value, ""

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
                except SandboxTimeout as e:
                    return f"the example `{expr}` was stopped: {e}"
                except BaseException as e:  # noqa: BLE001
                    return f"the example `{expr}` raised {type(e).__name__}: {e}"
                if not same_value(got, expected):
                    return f"the example `{expr}` gave {_describe(got)}, not {_describe(expected)}"
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


def _parses(code: str) -> bool:
    import ast
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


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
    from uvm.repl.naming import ObjectNames
    return ObjectNames(lobby).name(obj) or _describe(obj)


def where_it_goes(receiver, holder: UvmObject, lobby: UvmObject) -> str:
    """Where a new method goes and who gets it, for the person approving it."""
    if not isinstance(receiver, UvmObject):
        return f"{name_of(holder, lobby)} (every {_type_name(receiver)})"
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
