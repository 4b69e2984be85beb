"""Confinement: how a model-written Python method is compiled and run, on every call.

A method the language model wrote (its provenance says ``synthesized``) is never compiled
as plain Python. Here, when it is first used after the image is opened:

1. ``policy`` compiles it with RestrictedPython plus UVM's rules (no ``finally``,
   ``yield``, ``with``, ``global``, classes, imports; exception handlers that name builtin
   exception classes only; bounded operators). Code that breaks them does not run: the
   method is treated as disabled (see ``uvm methods --disabled``).
2. Its globals are ``guards``: the rewritten attribute, item, iteration and write
   accesses go through the ``membrane``, which hands the code facades and views instead
   of UVM objects and refuses primitives, the ``python`` bridge, Python objects and
   writes outside the call's write policy (receiver, arguments, what the call made,
   objects the user approved for this method).
3. Every call runs under the ``watchdog``: ``CALL_SECONDS`` of CPU time and a memory
   bound, unless the user trusted the method (``uvm methods trust PATH SELECTOR``), which
   lifts the time and memory limits and the bounds of ``bounds`` (never the membrane).
4. Trusted work the code asks for (a persona's inference, through a UVM send) runs
   outside the call's limits and write policy: ``trusted``.

What this does not stop, honestly: a method may still take its full time limit, grow
the process by up to its memory bound before the next tick sees it, and print to
standard output; a C-level operation that the bounds do not know and that takes long on
values of allowed size is stopped only when it returns; writes made inside UVM methods
the model code sends to are seen only for stored objects that were unchanged in the
transaction until then. Within its receiver, a method can do anything the receiver's
own UVM code could, including changing the receiver's parent slots. Everything runs in
one process: isolation from the interpreter itself rests on RestrictedPython's rewriting
and the membrane, not on the operating system.
"""
from __future__ import annotations

POLICY = 1   # bump when the policy gets stricter: opening an image audits its methods again

# name -> the submodule that defines it (imported on first use: opening an image needs
# only POLICY, and RestrictedPython's import is not free)
_LAZY = {
    "CALL_SECONDS": "watchdog", "SandboxTimeout": "watchdog", "SandboxMemoryError": "watchdog",
    "limits": "watchdog",
    "CAPABILITIES": "membrane", "ConfinementError": "membrane", "ConfinementBreach": "membrane",
    "PolicyError": "policy",
    "check_source": "methods", "compile_function": "methods", "compile_method": "methods",
}
__all__ = ["POLICY", "is_model_written", *_LAZY]


def is_model_written(method) -> bool:
    return bool((getattr(method, "provenance", None) or {}).get("synthesized"))


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
