"""Managing what the model wrote: find, show, remove and regenerate model-written methods.

A method the model wrote (``uvm.llm.synthesis``) is an ordinary ``Method`` in a slot, marked
by its provenance, and it stays in the image until someone takes it out. Removing one and
having the model write one again are evaluations of the image like any other: one
transaction each, recorded in the history, taken back by ``undo``. ``uvm methods`` and the
REPL's ``:methods`` are front ends over these functions; embedders call them directly.
"""
from __future__ import annotations

from dataclasses import dataclass

from uvm.image.fileout import FileOutError, resolve_path, walk_paths
from uvm.runtime import send as send_mod
from uvm.runtime.compiler import compile_program
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import Method, UvmObject
from uvm.runtime.printing import describe
from uvm.runtime.provenance import lines as provenance_lines
from uvm.runtime.provenance import send_source, when
from uvm.syntax import parse

ORIGIN = "methods"   # the history's origin for removals and regenerations
ACTIONS = ("show", "remove", "regenerate", "trust", "untrust")


class MethodsError(Exception):
    """No such object or method, or a request that cannot be served; the message says why."""


@dataclass
class SynthesizedMethod:
    path: str | None        # the holder's path from the lobby (calc, traits integer)
    holder: UvmObject
    selector: str
    source: str
    provenance: dict

    @property
    def where(self) -> str:
        return self.path or describe(self.holder)


def is_synthesized(value) -> bool:
    return isinstance(value, Method) and bool((value.provenance or {}).get("synthesized"))


def synthesized_methods(image, obj: UvmObject | None = None,
                        disabled: bool = False) -> list[SynthesizedMethod]:
    """The model-written methods of ``obj``, or of every object reachable from the lobby
    through slots (nearest the lobby first); ``disabled``: only those the re-audit of
    the confinement policy disabled. Reads slots only: no code runs."""
    if obj is not None:
        found = _methods_of(obj, path_of(image, obj))
    else:
        found = [m for o, path in walk_paths(image.lobby, limit=None) for m in _methods_of(o, path)]
    return [m for m in found if _disabled(m)] if disabled else found


def _disabled(entry: SynthesizedMethod) -> bool:
    """Disabled by the re-audit, or failing the policy now (an image opened read-only
    has not been audited again yet): the reason goes into the entry's provenance."""
    if entry.provenance.get("disabled"):
        return True
    from uvm.runtime import confinement
    try:
        confinement.check_source(entry.source)
    except confinement.PolicyError as e:
        entry.provenance["disabled"] = f"it breaks the confinement policy {confinement.POLICY}: {e}"
        return True
    return False


def _methods_of(obj: UvmObject, path: str | None) -> list[SynthesizedMethod]:
    return [SynthesizedMethod(path, obj, name, value.source, dict(value.provenance))
            for name, value in obj._slots.items() if is_synthesized(value)]


def path_of(image, obj: UvmObject) -> str | None:
    return next((path for o, path in walk_paths(image.lobby, limit=None) if o is obj), None)


def object_at(image, path: str) -> UvmObject:
    """The object at ``path``: slot names from the lobby (``calc``, ``traits integer``)."""
    try:
        return resolve_path(image.lobby, path)[0]
    except FileOutError as e:
        raise MethodsError(str(e)) from None


def synthesized_method(image, obj: UvmObject, selector: str) -> SynthesizedMethod:
    """``obj``'s model-written method ``selector``; anything else in that slot is refused,
    so that these tools never touch what a person wrote."""
    path = path_of(image, obj)
    where = path or describe(obj)
    if selector not in obj._slots:
        raise MethodsError(f"{where} has no slot {selector!r}")
    if not is_synthesized(obj._slots[selector]):
        raise MethodsError(f"{where} {selector} is not a model-written method (only what the "
                           "model wrote is managed here)")
    return next(m for m in _methods_of(obj, path) if m.selector == selector)


def remove_method(image, obj: UvmObject, selector: str) -> SynthesizedMethod:
    """Take a model-written method out of ``obj`` (one recorded evaluation: undo puts it
    back); returns what was removed."""
    entry = synthesized_method(image, obj, selector)
    image.run(lambda: obj.remove_slot(selector), f"remove {entry.where} {selector}", ORIGIN)
    return entry


def set_trusted(image, obj: UvmObject, selector: str, trusted: bool = True) -> SynthesizedMethod:
    """Lift (or put back) the per-call time and memory limits and the size bounds of a
    model-written method; the membrane and its write policy stay either way. One recorded
    evaluation (``undo`` takes it back)."""
    entry = synthesized_method(image, obj, selector)

    def change():
        method = obj._slots[selector]
        provenance = dict(method.provenance)
        if trusted:
            provenance["trusted"] = True
        else:
            provenance.pop("trusted", None)
        method.provenance = provenance
        method._fn = None  # compiled again, with the new setting, on its next send
        obj._p_changed = True
        send_mod.invalidate(selector)
    image.run(change, f"{'trust' if trusted else 'untrust'} {entry.where} {selector}", ORIGIN)
    return synthesized_method(image, obj, selector)


def regenerate(image, obj: UvmObject, selector: str, send: str | None = None,
               hint: str = "") -> SynthesizedMethod:
    """Have the model write ``obj``'s method ``selector`` again. In one transaction the
    method is removed and a message is sent that the model must answer by writing it: the
    UVM expression ``send``, else the first send kept in the provenance. The model is told
    what it wrote before (and ``hint``, the person's words on what was wrong) and draws a
    fresh sample, so it does not write the same method again. If that fails, the
    transaction aborts and the old method stays. Needs the synthesizer installed for this
    image (``uvm.llm.synthesis.install``)."""
    if getattr(send_mod.synthesizer, "image", None) is not image:
        raise MethodsError("regenerating needs a language model, and this run has none for "
                           "this image (--no-llm or UVM_LLM=none; give one with --llm SPEC; "
                           "embedders call uvm.llm.synthesis.install(image))")
    entry = synthesized_method(image, obj, selector)
    source = send or example_send(image, entry)
    code = compile_program(parse(source, "<regenerate>"))  # a syntax error changes nothing

    def again():
        obj.remove_slot(selector)
        code(image.lobby)
        if not is_synthesized(obj._slots.get(selector)):
            raise UvmError(f"sending {source} did not make the model write {entry.where} "
                           f"{selector} again (the message was understood without it, or its "
                           f"method went to another object); send it to a receiver whose new "
                           f"methods go to {entry.where} (--send EXPR)")
    synthesizer = send_mod.synthesizer
    synthesizer.rewriting[selector] = (entry.source, hint)
    try:
        image.run(again, f"regenerate {entry.where} {selector} by sending: {source}", ORIGIN)
    finally:
        synthesizer.rewriting.pop(selector, None)
    return synthesized_method(image, obj, selector)


def example_send(image, entry: SynthesizedMethod) -> str:
    """UVM source that repeats the send the method was written for: the receiver's literal
    (a host value) or else the holder itself, with the arguments' literals."""
    example = entry.provenance.get("example")
    ask = f"; give the send yourself: --send EXPR, a UVM expression that sends {entry.selector}"
    if not example:
        raise MethodsError(f"{entry.where} {entry.selector} keeps no example of the send it was "
                           f"written for (an older UVM wrote it){ask}")
    receiver, args = example.get("receiver"), list(example.get("args") or [])
    traits = [image.world.foreign_trait, *image.world.trait_by_type.values()]
    host = any(entry.holder is t for t in traits)  # host values' behaviour lives there
    if receiver is None:
        if host or entry.path is None:
            raise MethodsError(f"the receiver {entry.selector} was first sent to has no literal "
                               f"form{ask}")
        receiver = entry.path
    if None in args:
        raise MethodsError(f"an argument of the send {entry.selector} was written for has no "
                           f"literal form (an object?){ask}")
    return send_source(entry.selector, receiver, args)


# --- text for the front ends ----------------------------------------------------------------

def table(entries: list[SynthesizedMethod]) -> str:
    """One line per method: selector, where it is, model, attempts, when, limits, sent from
    (or, for disabled methods, why they were disabled)."""
    disabled = any(e.provenance.get("disabled") for e in entries)
    head = ("selector", "where", "model", "attempts", "written", "limits",
            "disabled because" if disabled else "sent from")
    rows = [(e.selector, e.where, str(e.provenance.get("model") or e.provenance.get("backend")),
             str(e.provenance.get("attempts", "?")), when(e.provenance.get("written")),
             "trusted" if e.provenance.get("trusted") else "limited",
             (e.provenance.get("disabled") if disabled else e.provenance.get("sent_from")) or "")
            for e in entries]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    return "\n".join(("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1]).rstrip()
                     for r in [head, *rows])


def details(entry: SynthesizedMethod) -> str:
    """The method's source and its provenance, in words."""
    lines = [f"{entry.where} {entry.selector}, written by the model:", entry.source.rstrip(), ""]
    lines += ["  " + line for line in provenance_lines(entry.provenance, entry.selector, entry.path)]
    return "\n".join(lines)
