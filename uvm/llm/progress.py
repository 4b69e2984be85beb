"""Progress bars for long loads and imports, and a status line while the model writes: on a
terminal only, silent when piped; the model libraries' own notices are kept off it."""
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


# --- third-party progress bars ----------------------------------------------------------------
# A library's own tqdm bar breaks UVM's status line and the REPL's screen, so none is ever
# drawn: each bar is replaced by a ``Relay`` that tells UVM's listeners (``reporting``)
# how far it got, and the one who listens (the status line while the model loads) shows it.

_listeners: list = []


@contextlib.contextmanager
def reporting(listener):
    """While inside, ``listener(text)`` hears how long loads are going ("Loading weights
    40%")."""
    _listeners.append(listener)
    try:
        yield
    finally:
        _listeners.remove(listener)


class Relay:
    """Stands in for a third-party tqdm bar (same calls): draws nothing, reports each whole
    percent to the listeners."""

    def __init__(self, iterable=None, desc=None, total=None, *args, **kwargs):
        self.iterable = iterable
        self.desc = (desc or "working").rstrip(". ")
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)
        self.total, self.n, self._said = total, 0, None

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update()

    def update(self, n: int = 1) -> None:
        self.n += n
        said = f"{self.desc} {100 * self.n // self.total}%" if self.total else self.desc
        if said != self._said:
            self._said = said
            for listener in list(_listeners):
                listener(said)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        pass

    def set_description(self, desc=None, refresh=True) -> None:
        self.desc = (desc or self.desc).rstrip(". ")

    def set_postfix(self, *args, **kwargs) -> None:
        pass

    def refresh(self, *args, **kwargs) -> None:
        pass

    def write(self, *args, **kwargs) -> None:
        pass


@contextlib.contextmanager
def quiet_transformers():
    """transformers draws tqdm bars while it loads (its GGUF reader's whatever its switches
    say, and "Loading weights"), and logs load reports: while inside, every bar is a
    ``Relay`` and only errors are logged."""
    import transformers.modeling_gguf_pytorch_utils as gguf_utils
    from transformers.utils import logging as hf_logging
    old = getattr(gguf_utils, "tqdm", None)
    if old is not None:
        gguf_utils.tqdm = Relay
    set_hook = getattr(hf_logging, "set_tqdm_hook", None)
    old_hook = getattr(hf_logging, "_tqdm_hook", None)
    if set_hook is not None:
        set_hook(lambda factory, args, kwargs: Relay(*args, **kwargs))
    was = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        if old is not None:
            gguf_utils.tqdm = old
        if set_hook is not None:
            set_hook(old_hook)
        if was:
            hf_logging.enable_progress_bar()
        hf_logging.set_verbosity(verbosity)


def quiet_libraries() -> None:
    """Keep transformers' and PEFT's deprecation notices (its own cache argument, PEFT
    asking for ``is_gradient_checkpointing``) off the user's terminal: they are about the
    libraries' next versions, nothing the person can act on."""
    import warnings
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()
    for module in ("transformers", "peft"):
        warnings.filterwarnings("ignore", category=FutureWarning, module=module)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=module)
    # PEFT's note when the memory manager deletes the adapter that was active
    warnings.filterwarnings("ignore", message=r"Adapter .* was active which is now deleted")


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
