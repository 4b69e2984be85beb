"""Errors raised by UVM programs, non-local return, and UVM-level backtraces.

Compiled UVM code runs as ordinary Python functions whose code objects carry a pseudo file
name registered here with a table from generated line to UVM source span. A backtrace is
read off a Python traceback by keeping only those frames and mapping each line back, so
users see ``file:line:col`` of their UVM source and never the implementation's frames.
"""
from __future__ import annotations

from dataclasses import dataclass


class UvmError(Exception):
    """An error in a UVM program: ``error:``, a failed primitive, doesNotUnderstand, ...

    ``frames`` (innermost first) is filled in by ``attach_backtrace`` when the error
    leaves UVM code, so the message can say where it happened."""

    def __init__(self, message: str, selector: str | None = None, receiver=None):
        super().__init__(message)
        self.message = message
        self.selector = selector
        self.receiver = receiver
        self.frames: list[Frame] = []

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        return (UvmError, (self.message,))


class NonLocalReturn(BaseException):
    """``^ value`` inside a block: unwinds to the method the block was written in.
    A BaseException so that ``onError:`` handlers (which catch Exception) let it pass."""

    __slots__ = ("home", "value")

    def __init__(self, home, value):
        self.home = home
        self.value = value


class Home:
    """One activation of a method whose blocks contain ``^``: the target of their
    non-local returns, marked dead when the method returns."""

    __slots__ = ("alive",)

    def __init__(self):
        self.alive = True


@dataclass(frozen=True)
class CodeInfo:
    """What a compiled code unit is, for backtraces: its name, whether it belongs to the
    core world, and the UVM span of each generated line (index = line number)."""
    name: str
    core: bool
    spans: tuple
    source: str = ""  # the text the spans index into (for the line a send came from)


_code_info: dict[str, CodeInfo] = {}


def register_code(filename: str, info: CodeInfo) -> None:
    _code_info[filename] = info


@dataclass(frozen=True)
class Frame:
    name: str
    file: str
    line: int
    col: int
    core: bool

    def location(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def uvm_frames(tb) -> list[Frame]:
    """The UVM frames of a Python traceback, innermost first."""
    frames = []
    while tb is not None:
        info = _code_info.get(tb.tb_frame.f_code.co_filename)
        if info is not None:
            lineno = tb.tb_lineno
            span = info.spans[lineno] if 0 <= lineno < len(info.spans) else None
            if span is not None:
                frames.append(Frame(info.name, span.file, span.line, span.col, info.core))
        tb = tb.tb_next
    frames.reverse()
    return frames


def sending_line(skip_core: bool = True) -> tuple[Frame, str] | None:
    """The innermost UVM frame running now (not the core world's, unless asked) and the
    text of its source line: the send a ``doesNotUnderstand:`` came from."""
    import sys
    f = sys._getframe(1)
    while f is not None:
        info = _code_info.get(f.f_code.co_filename)
        if info is not None and not (skip_core and info.core):
            lineno = f.f_lineno
            span = info.spans[lineno] if 0 <= lineno < len(info.spans) else None
            if span is not None:
                src = info.source
                start = src.rfind("\n", 0, span.start) + 1
                end = src.find("\n", span.start)
                text = src[start:end if end >= 0 else len(src)].strip()
                return Frame(info.name, span.file, span.line, span.col, info.core), text
        f = f.f_back
    return None


def as_uvm_error(exc: BaseException) -> UvmError:
    """Turn any exception that escaped UVM code into a UvmError with a backtrace."""
    if isinstance(exc, UvmError):
        err = exc
    elif isinstance(exc, RecursionError):
        err = UvmError("stack overflow: the program recursed too deeply")
    elif isinstance(exc, ZeroDivisionError):
        err = UvmError("division by zero")
    elif isinstance(exc, MemoryError):
        err = UvmError(f"out of memory: {exc}" if str(exc) else "out of memory")
    elif getattr(exc, "reported_as_is", False):  # the confinement's limits and refusals
        err = UvmError(str(exc))
    else:
        err = UvmError(f"{type(exc).__name__}: {exc}")
    if not err.frames:
        err.frames = uvm_frames(exc.__traceback__)
    return err


def format_error(err: UvmError, source_lines: bool = False) -> str:
    """``Error: message``, the innermost user location, then the UVM backtrace (with each
    frame's source line under it when ``source_lines``)."""
    lines = [f"Error: {err.message}"]
    frames = err.frames
    user = [f for f in frames if not f.core]
    if user:
        lines[0] += f"\n  at {user[0].location()}"
        frames = frames[frames.index(user[0]):]  # the core world's error machinery is noise
    shown = _collapse(frames)
    if len(shown) > MAX_FRAMES:
        half = MAX_FRAMES // 2
        skipped = sum(n for _, n in shown[half:-half])
        shown = shown[:half] + [(None, skipped)] + shown[-half:]
    for f, n in shown:
        if f is None:
            lines.append(f"    ... {n} more frames ...")
        else:
            lines.append(f"    {f.name} ({f.location()})" + (f"  [{n} times]" if n > 1 else ""))
            text = source_line(f.file, f.line) if source_lines else ""
            if text:
                lines.append(f"        {text}")
    return "\n".join(lines)


def source_line(file: str, line: int) -> str:
    """Line ``line`` of ``file``, stripped ("" when unknown): a file on disk, a text the
    REPL registered with ``linecache`` (``<repl-7>``), or a core-world source."""
    import linecache
    text = linecache.getline(file, line)
    if not text and file.startswith("stdlib/"):
        from importlib import resources
        try:
            source = resources.files("uvm.stdlib").joinpath(file[len("stdlib/"):]).read_text(
                encoding="utf-8")
        except (OSError, ValueError):
            return ""
        found = source.splitlines()
        text = found[line - 1] if 0 < line <= len(found) else ""
    return text.strip()


MAX_FRAMES = 20


def _collapse(frames: list[Frame]) -> list[tuple[Frame, int]]:
    """Runs of the same frame (deep recursion) as one line with a count."""
    out: list[tuple[Frame, int]] = []
    for f in frames:
        if out and out[-1][0] == f:
            out[-1] = (f, out[-1][1] + 1)
        else:
            out.append((f, 1))
    return out
