"""Tool proxies: the prototypes ``tools NAME`` makes on its first send, and their methods.

A proxy is a UVM object that inherits from ``traits tool`` and holds only its tool's name
(``toolName``): what it may reach is decided by the capability of that name, looked up
on every call, so revoking takes effect at once. A message the proxy does not understand
becomes a method: generated from the document when the selector spells an operation
(``mapping``), else written by the model (``brief``). Either is installed in the proxy
with its provenance, passes the guardian and the tool audit, and runs confined.

Model-written code reaches proxies through the membrane's widening in ``widening``.
"""
from __future__ import annotations

import time

from uvm.cognition.tools import mapping
from uvm.cognition.tools.widening import TOOLBOX, TRAIT, inherits, trait
from uvm.llm.synthesis.sandbox import compile_audited
from uvm.llm.synthesis.guardian import CovenantViolationError, Signature
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError, sending_line
from uvm.runtime.objects import CONSTANT, PARENT, Method, UvmObject

def tool_name(obj) -> str | None:
    """The tool a proxy stands for, or None when ``obj`` is no tool proxy."""
    if not isinstance(obj, UvmObject) or not inherits(obj, trait(TRAIT)):
        return None
    name = obj._slots.get("toolName")
    return name if isinstance(name, str) else None


def is_toolbox(obj) -> bool:
    return isinstance(obj, UvmObject) and inherits(obj, trait(TOOLBOX))


def make_proxy(toolbox: UvmObject, name: str) -> UvmObject:
    """The proxy prototype for tool ``name``, kept in the toolbox's slot of that name."""
    proxy = UvmObject()
    proxy.define_slot("parent", trait(TRAIT), CONSTANT | PARENT)
    proxy.define_slot("toolName", name, CONSTANT)
    toolbox.define_slot(name, proxy, CONSTANT)
    send_mod.invalidate(name)
    return proxy


def install_operation(proxy: UvmObject, selector: str, op: dict, params: list[dict],
                      operations) -> None:
    """Install the method generated for ``selector`` (audited, confined, with provenance)."""
    code, signature = mapping.generated_source(selector, op, params)
    try:
        fn = compile_audited(code, signature, filename=f"<tool:{selector}>")
        mapping.audit_tool_method(code, operations)
    except CovenantViolationError as e:  # a document whose names the policy cannot take
        raise UvmError(f"the method for the operation {op['id']!r} cannot be generated: {e}") from None
    origin = sending_line()
    provenance = {"synthesized": True, "generated": "from the OpenAPI document",
                  "backend": "openapi", "model": None, "tool": proxy._slots["toolName"],
                  "operation": op["id"], "attempts": 0, "written": time.time(),
                  "seconds": 0.0, "sent_from": f"{origin[0].location()}: {origin[1]}" if origin else None}
    method = Method(selector, "python", code, signature.params[1:], f"<tool:{selector}>", 1, 1,
                    provenance=provenance, core=False)
    method._fn = fn
    proxy.define_slot(selector, method, CONSTANT)
    send_mod.invalidate(selector)
