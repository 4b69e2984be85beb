"""The prompt for one failed send: a mission brief after worked examples.

Small models follow a pattern they have just seen, so the prompt is a few exchanges in one
shape (a request, then a method) taken from the method library (``uvm.llm.synthesis.library``), then
the brief in the same shape, and the start of the answer: the method's exact signature
(``def percent_Of_(self, a, b):``) and the body's indent, for the model to continue.
"""
from __future__ import annotations

from uvm.llm.synthesis import library
from uvm.llm.synthesis.guardian import Signature
from uvm.llm.synthesis.receiver import core_objects, describe_value, parent_chain, start_of, type_name
from uvm.runtime import intents
from uvm.runtime import send as send_mod
from uvm.runtime.objects import Method, UvmObject, map_of

SHOTS = 3  # worked examples from the method library in each prompt

# Lines a layer above adds to every brief (``uvm.cognition.memory.briefing``: the memories
# most relevant to the selector and intent). Each provider is called with the Brief and
# answers lines of text; one that fails adds nothing. uvm.llm never imports that layer:
# the layer registers itself here.
CONTEXT_PROVIDERS: list = []


def register_context_provider(provider) -> None:
    """Add ``provider(brief) -> list[str]`` to the brief (once)."""
    if provider not in CONTEXT_PROVIDERS:
        CONTEXT_PROVIDERS.append(provider)


def provided_context(brief) -> list[str]:
    lines: list[str] = []
    for provider in CONTEXT_PROVIDERS:
        try:
            lines.extend(provider(brief) or ())
        except Exception:  # noqa: BLE001 -- context is a help, never a reason to fail a send
            continue
    return lines


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
            slots = [(n, describe_value(v)) for n, v in r._slots.items()
                     if not n.startswith("_") and n not in parents and n not in ("intents", "examples")
                     and not isinstance(v, Method)][:8]
        return library.make(self.selector, "object" if isinstance(r, UvmObject) else type_name(r),
                            describe_value(r), [(describe_value(a), type_name(a)) for a in self.args],
                            slots, self.intent() or "")

    def text(self) -> str:
        extra = []
        start = start_of(self.receiver)
        core = core_objects(send_mod.world.lobby) if send_mod.world is not None else set()
        chain = [o for o in parent_chain(start)[:5] if id(o) not in core or o is start]
        if len(chain) > 1:
            extra.append("It inherits from: " + " -> ".join(describe_value(o)[:30] for o in chain[1:]) + ".")
        nearby = [v for k, v in self.holder._slots.items()
                  if isinstance(v, Method) and v.language == "python" and k != self.selector][:2]
        for m in nearby:
            extra.append("A method it already has:\n" + m.source.strip())
        if self.origin is not None:
            extra.append(f"The send is in this line: {self.origin[1]}")
        extra.extend(provided_context(self))
        shown = "; ".join(f"`{expr}` gives {describe_value(value)}" for expr, value in self.examples())
        return request_text(self.example(), self.signature.source(), tuple(extra),
                            f"For example: {shown}." if shown else "")

    def intent(self) -> str | None:
        """An intent the user wrote for this selector (``obj intend: 'sel' As: 'text'``),
        noted on the receiver or on the method's holder."""
        return next((t for t in (intents.intent(o, self.selector)
                                 for o in (self.receiver, self.holder)) if t), None)

    def examples(self) -> list[tuple[str, object]]:
        """The user's examples for this selector (``obj intend: 'sel' Example: 'expr'
        Gives: value``): (expression, value) pairs."""
        return next((e for e in (intents.examples(o, self.selector)
                                 for o in (self.receiver, self.holder)) if e), [])

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
