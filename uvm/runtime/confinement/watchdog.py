"""The time and memory limits of model-written code, cheap enough for every call.

A call cannot afford a system call (``setitimer``/``setrlimit`` cost microseconds, a
method call a tenth of one), so the limits are kept by a watchdog instead: once armed,
an interval timer of process CPU time (``ITIMER_VIRTUAL``, signal ``SIGVTALRM``: it
leaves ``SIGALRM`` to whoever else uses it, pytest-timeout for one) ticks every
``TICK`` seconds. A limited call only notes the tick count it started at; the tick
handler raises ``SandboxTimeout`` when the running limited call has used up its ticks,
and ``SandboxMemoryError`` when the process has grown by more than its bound since the
last tick at which no limited call ran. Both derive from ``BaseException`` and model code
can name neither, so it cannot catch them (see ``policy``); the handler raises again at
every later tick while the limited call is still running, so one swallowed exception
does not end the limit. After ``IDLE_TICKS`` ticks with no limited call the timer stops.

Signals reach only the main thread: starting the watchdog anywhere else is refused (it
is checked when the ticks start, not on every call, which must stay cheap). A C-level
loop never returns to the signal handler, which is why the builtins and operators model
code gets are bounded before the loop starts (``bounds``).
"""
from __future__ import annotations

import atexit
import contextlib
import os
import resource
import signal
import threading

CALL_SECONDS = 2.0   # CPU seconds each call of a model-written method may take
TICK = 0.05
IDLE_TICKS = 4
MEMORY_BOUND = 512 * 1024 * 1024   # bytes a limited call may grow the process by
_MAIN = threading.main_thread().ident


class SandboxTimeout(BaseException):
    """The model's method ran past its time limit (model code cannot catch it)."""
    reported_as_is = True  # uvm.runtime.errors.as_uvm_error: the message says it all


class SandboxMemoryError(BaseException):
    """The model's method grew the process past its memory bound (nor this one)."""
    reported_as_is = True


class _State:
    __slots__ = ("ticks", "start", "limit", "seconds", "memory", "base", "idle", "armed",
                 "installed")

    def __init__(self):
        self.ticks = 0        # ticks since the watchdog was first armed
        self.start = 0        # the tick the running limited call started at
        self.limit = 0        # its ticks (0: no limited call is running)
        self.seconds = 0.0    # its limit in seconds, for the message
        self.memory = MEMORY_BOUND
        self.base = 0         # bytes in use at the last tick no limited call ran
        self.idle = 0
        self.armed = False
        self.installed = False


state = _State()


def _data_in_use() -> int:
    """Bytes of the data segment and anonymous mappings (what RLIMIT_DATA counts)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[5]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _on_tick(signum, frame) -> None:
    s = state
    s.ticks += 1
    if s.limit:
        s.idle = 0
        if s.ticks - s.start >= s.limit:
            raise SandboxTimeout(f"the method ran longer than {s.seconds:g} s")
        if s.memory and s.base and _data_in_use() - s.base > s.memory:
            raise SandboxMemoryError(f"the method used more than {s.memory >> 20} MB")
        return
    s.base = _data_in_use()
    s.idle += 1
    if s.idle >= IDLE_TICKS:
        disarm()


def disarm() -> None:
    """Stop the ticks. At exit too: the interpreter's shutdown puts the signal's default
    action back, which would end the process with 'Virtual timer expired'."""
    if state.armed:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        state.armed = False


atexit.register(disarm)


def ticks_for(seconds: float) -> int:
    return max(1, round(seconds / TICK))


def arm(seconds: float | None = None) -> None:
    """Start the ticks (a limited call is about to run). Main thread only."""
    s = state
    if seconds is None:  # a method's call: the per-call limits
        s.seconds, s.memory = CALL_SECONDS, MEMORY_BOUND
    if threading.get_ident() != _MAIN:
        from uvm.runtime.confinement.membrane import ConfinementError
        raise ConfinementError("model-written methods run only in the main thread (their "
                               "time limit is a signal)")
    if not s.installed:
        signal.signal(signal.SIGVTALRM, _on_tick)
        signal.siginterrupt(signal.SIGVTALRM, False)  # a tick restarts system calls in C code
        s.installed = True
    s.base = _data_in_use()
    s.idle = 0
    signal.setitimer(signal.ITIMER_VIRTUAL, TICK, TICK)
    s.armed = True


@contextlib.contextmanager
def limits(seconds: float, memory_bytes: int | None = MEMORY_BOUND):
    """Run the body under a time limit and a memory bound (the pipeline's first run of a
    method, a benchmark's checks). Inside it, model-written methods keep these limits;
    where it can, the soft ``RLIMIT_DATA`` is lowered too, so that even one C-level
    allocation the bounds missed fails at once with a MemoryError."""
    s = state
    saved = (s.start, s.limit, s.seconds, s.memory)
    if not s.armed:
        arm(seconds)
    old_rlimit = None
    if memory_bytes is not None:
        try:
            old_rlimit = resource.getrlimit(resource.RLIMIT_DATA)
            soft = _data_in_use() + memory_bytes
            hard = old_rlimit[1]
            resource.setrlimit(resource.RLIMIT_DATA, (soft if hard == resource.RLIM_INFINITY
                                                      else min(soft, hard), hard))
        except (OSError, ValueError):
            old_rlimit = None
    s.start, s.limit, s.seconds, s.memory = s.ticks, ticks_for(seconds), seconds, memory_bytes or 0
    _rlimits.append(old_rlimit)
    try:
        yield
    finally:
        _rlimits.pop()
        s.start, s.limit = saved[:2]
        s.seconds, s.memory = (saved[2], saved[3]) if saved[1] else (CALL_SECONDS, MEMORY_BOUND)
        if old_rlimit is not None:
            resource.setrlimit(resource.RLIMIT_DATA, old_rlimit)


# The soft RLIMIT_DATA each ``limits`` in force found (None: it lowered none), innermost last.
_rlimits: list = []


@contextlib.contextmanager
def suspended():
    """Run the body outside the limits of the limited call in progress, if any (trusted
    work model-written code asked for: ``trusted.trusted``). They resume with what was
    left of them: the ticks, the growth in memory (counted from what the body leaves in
    use) and the room under a lowered ``RLIMIT_DATA``."""
    s = state
    if not s.limit:
        yield
        return
    used, limit, grown = s.ticks - s.start, s.limit, _data_in_use() - s.base
    outer = next((r for r in _rlimits if r is not None), None)  # what the outermost found
    room = None
    if outer is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
        room = max(0, soft - _data_in_use())
        resource.setrlimit(resource.RLIMIT_DATA, outer)
    s.limit = 0
    try:
        yield
    finally:
        if room is not None:
            soft = _data_in_use() + room
            resource.setrlimit(resource.RLIMIT_DATA, (soft if hard == resource.RLIM_INFINITY
                                                      else min(soft, hard), hard))
        if not s.armed:  # the ticks stopped while the body ran (no limited call was running)
            arm(s.seconds)
        s.start, s.limit, s.base = s.ticks - used, limit, _data_in_use() - grown
