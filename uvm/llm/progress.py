"""Progress bars for long loads and imports, and a status line while the model writes: on a
terminal only, silent when piped."""
from __future__ import annotations

import contextlib
import sys


def on_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Quiet:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def bar(total: int | None, desc: str, unit: str = "B"):
    """A tqdm bar on a terminal, a do-nothing object otherwise."""
    if not on_terminal():
        return _Quiet()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _Quiet()
    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit == "B", leave=False)


@contextlib.contextmanager
def quiet_transformers():
    """transformers' GGUF loader draws its own tqdm bar whatever its switches say: replace
    it by one that is disabled unless standard error is a terminal."""
    import functools

    import transformers.modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging
    old = getattr(gguf_utils, "tqdm", None)
    if old is not None:
        gguf_utils.tqdm = functools.partial(old, disable=not on_terminal(), leave=False)
    was = hf_logging.is_progress_bar_enabled()
    if not on_terminal():
        hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        if old is not None:
            gguf_utils.tqdm = old
        if was:
            hf_logging.enable_progress_bar()
        hf_logging.set_verbosity(verbosity)


def copy_with_progress(src, dst, total: int | None, desc: str, chunk: int = 1 << 22) -> str:
    """Copy file object ``src`` into ``dst``; returns the sha256 of what was copied."""
    import hashlib
    h = hashlib.sha256()
    b = bar(total, desc)
    try:
        while True:
            data = src.read(chunk)
            if not data:
                break
            h.update(data)
            dst.write(data)
            b.update(len(data))
    finally:
        b.close()
    return h.hexdigest()


class StatusLine:
    """One line on standard error, redrawn in place while work that takes seconds runs
    (the model writing a method) and erased when it ends. Callers draw it on a terminal
    only (``on_terminal()``): it moves the cursor."""

    FRAMES = "|/-\\"

    def __init__(self):
        self.turn = 0

    def show(self, text: str, dimmed: str = "") -> None:
        """``text`` after a spinner, then the last line of ``dimmed`` as room allows."""
        import shutil
        width = shutil.get_terminal_size().columns - 1
        line = f"{self.FRAMES[self.turn % len(self.FRAMES)]} {text}"[:width]
        self.turn += 1
        room = width - len(line) - 2
        tail = dimmed.rstrip().rsplit("\n", 1)[-1].strip()[-room:] if room > 0 else ""
        sys.stderr.write(f"\r\x1b[K{line}" + (f"  \x1b[2m{tail}\x1b[0m" if tail else ""))
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()
