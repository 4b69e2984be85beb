"""The recursion limit and the C stack, chosen together, so that deep recursion ends in
UVM's "stack overflow" error and never in a crash.

Python counts frames (and some recursion inside C functions) against
``sys.getrecursionlimit()``; what actually runs out is the C stack. Since Python 3.11 a
Python-to-Python call costs no C stack, but a call made from C does: a comparison called by
a sort, ``__getattr__``, ``__eq__`` from a dict lookup, a call with ``*args``. The costliest
path measured is ``list.sort`` calling back into Python (``sortedBy:`` with a block that
recurses): about 2.6 KB of C stack per unit of the recursion count, 5.2 KB per level. So
the limit is the stack divided by ``BYTES_PER_UNIT`` (that cost with a margin).

The stack is made large first. The main thread's stack grows on demand up to the soft
``RLIMIT_STACK``, and Linux checks that limit when the stack grows, so raising it at run
time works; the room the stack can grow into is read from ``/proc/self/maps`` (the gap
down to the next mapping), so the limit never promises more than the address space holds.
Other threads keep the stack they were created with (glibc takes its default from
``RLIMIT_STACK`` at start-up), so evaluation on another thread gets a limit that fits the
default thread stack. UVM evaluates on the main thread (the sandbox's time limit is a
signal, which only the main thread receives).
"""
from __future__ import annotations

import resource
import sys
import threading

BYTES_PER_UNIT = 4096        # C stack per unit of Python's recursion count, worst case
WANTED_LIMIT = 120_000       # about 40,000 levels of recursion through do: blocks
MIN_LIMIT = 1_000
_GUARD = 16 * 1024 * 1024    # kept free below the stack (the kernel's guard gap and more)

_START_SOFT_LIMIT = resource.getrlimit(resource.RLIMIT_STACK)[0]  # what new threads get


def room_below_stack() -> int | None:
    """Bytes the main thread's stack can grow to (its size now plus the free address
    space below it), or None where this cannot be read (not Linux)."""
    try:
        with open("/proc/self/maps") as f:
            regions = [line.split()[0].split("-") + [line] for line in f]
    except OSError:
        return None
    spans = [(int(a, 16), int(b, 16), line) for a, b, line in regions]
    stack = next(((a, b) for a, b, line in spans if line.rstrip().endswith("[stack]")), None)
    if stack is None:
        return None
    below = max((b for a, b, _ in spans if b <= stack[0]), default=0)
    return stack[1] - below - _GUARD


def main_stack(wanted: int) -> int:
    """Raise the main thread's stack limit toward ``wanted`` bytes; the stack it may use."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    room = room_below_stack()
    if room is None:  # the limit cannot be checked against the address space: keep it
        return soft if soft != resource.RLIM_INFINITY else 8 * 1024 * 1024
    target = min(wanted, room)
    if hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return target
    try:
        resource.setrlimit(resource.RLIMIT_STACK, (target, hard))
    except (OSError, ValueError):
        return soft
    return target


def thread_stack() -> int:
    """The stack of a thread other than the main one (its creator's choice, or glibc's
    default: RLIMIT_STACK as it was at start-up, 8 MiB where that was unlimited)."""
    size = threading.stack_size()
    if size:
        return size
    if _START_SOFT_LIMIT == resource.RLIM_INFINITY:
        return 8 * 1024 * 1024
    return _START_SOFT_LIMIT


_configured_for: int | None = None


def configure() -> int:
    """Set the recursion limit for the calling thread's stack (raising the main thread's
    stack first); returns the limit. Cheap when nothing changed."""
    global _configured_for
    ident = threading.get_ident()
    if _configured_for == ident:
        return sys.getrecursionlimit()
    if threading.current_thread() is threading.main_thread():
        stack = main_stack(WANTED_LIMIT * BYTES_PER_UNIT)
    else:
        stack = thread_stack()
    limit = max(MIN_LIMIT, min(WANTED_LIMIT, stack // BYTES_PER_UNIT))
    sys.setrecursionlimit(limit)
    _configured_for = ident
    return limit
