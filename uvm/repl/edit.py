"""``:edit PATH SELECTOR``: a method opened in the person's editor, and what they saved
checked and installed as one evaluation of the image (``:undo`` takes it back).

A UVM method is edited as its slot (``+ p = (...)``, as file-out writes it), a Python
method as its ``def``. Nothing changes when the text comes back unchanged or empty, does
not parse, no longer defines the slot, or -- for a model-written Python method, which
stays model code -- does not pass the guardian; its provenance is kept, marked edited.
"""
from __future__ import annotations

import linecache

from uvm.image.fileout import FileOutError, method_source, resolve_path
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import Method
from uvm.runtime.printing import string_literal
from uvm.runtime.provenance import as_annotation
from uvm.syntax import UvmSyntaxError, parse
from uvm.syntax import ast as A


class EditError(Exception):
    """The method could not be edited or the edit not installed; the message says why."""


def edit_method(session, path: str, selector: str) -> str:
    """Edit ``path``'s method ``selector`` in ``$EDITOR`` and install the result."""
    from uvm.llm.synthesis.approval import EditorError, edit_text
    try:
        obj = resolve_path(session.image.lobby, path)[0]
    except FileOutError as e:
        raise EditError(str(e)) from None
    method = obj._slots.get(selector)
    if type(method) is not Method:
        what = "no slot" if method is None and selector not in obj._slots else "no method in slot"
        raise EditError(f"{path} has {what} {selector!r} (:implementors {selector} finds it)")
    python = method.language == "python"
    before = method.source if python else method_source(method)
    try:
        after = edit_text(before, ".py" if python else ".uvm")
    except EditorError as e:
        raise EditError(str(e)) from None
    if not after.strip() or after.strip() == before.strip():
        return f"no change to {path} {selector}"
    slot = _python_slot(method, selector, after) if python else after.rstrip()
    source = f"{path} _AddSlots: (|\n{slot}\n|)"
    _check_defines(source, selector)
    filename = session.input_name()
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        session.image.eval(source, filename, session.origin)
    except UvmSyntaxError as e:
        raise EditError(e.pretty() + "\n(nothing changed)") from None
    except UvmError as e:
        raise EditError(session.error_outcome(e).error + "\n(nothing changed)") from None
    return f"installed your edit of {path} {selector} (:undo takes it back)"


def _python_slot(method: Method, selector: str, code: str) -> str:
    """The slot text for an edited Python method, audited first when the model wrote it."""
    if "'''" in code:
        raise EditError("a Python method cannot contain ''' (it ends the py''' literal); "
                        "use \"\"\" instead")
    provenance = dict(method.provenance or {})
    if provenance.get("synthesized"):
        from uvm.llm.synthesis.guardian import CovenantViolationError, Signature, audit
        try:
            audit(code, Signature.for_selector(selector, method.arg_names or None))
        except CovenantViolationError as e:
            raise EditError(f"the guardian rejected your edit: {e} (nothing changed)") from None
        provenance["edited"] = True
    slot = f"{selector} = py'''\n{code.rstrip()}\n'''"
    return f"{{ {string_literal(as_annotation(provenance))}\n{slot} }}" if provenance else slot


def _check_defines(source: str, selector: str) -> None:
    """The edited text must parse and still define ``selector``."""
    try:
        program = parse(source, "<edit>")
    except UvmSyntaxError as e:
        raise EditError(e.pretty() + "\n(nothing changed)") from None
    literal = program.statements[0].args[0] if program.statements else None
    names = [s.name for s in literal.slots] if isinstance(literal, A.ObjectLiteral) else []
    if selector not in names:
        raise EditError(f"the edit no longer defines {selector} (it defines "
                        f"{', '.join(names) or 'nothing'}); nothing changed")
