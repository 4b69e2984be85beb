"""One generation with a person waiting: streamed, under the run's time limit, with a status
line on a terminal, stopped by Ctrl-C.

Synthesis (the model writing a method) and a persona's inference (``robin infer: ...``)
both generate inside a user's evaluation, so both behave the same: the answer is read as
a stream, a terminal shows a status line with the seconds so far and the text so far
(dimmed), erased at the end; past the time limit (``$UVM_LLM_TIMEOUT``, default 120 s) the
generation stops with an ``LLMError`` that says so; Ctrl-C (a ``KeyboardInterrupt`` while
reading) closes the stream, which tells the backend to stop generating, and propagates.
"""
from __future__ import annotations

import os
import time
from contextlib import closing
from typing import Callable

from uvm.llm.errors import LLMError

TIMEOUT_VARIABLE = "UVM_LLM_TIMEOUT"
GENERATION_TIMEOUT = 120.0


def generation_timeout() -> float:
    """Seconds one generation may take: ``$UVM_LLM_TIMEOUT``, else 120 (a small model on a
    slow machine needs tens of seconds; a hung one should not hold the evaluation)."""
    raw = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not raw:
        return GENERATION_TIMEOUT
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not seconds > 0:
        raise LLMError(f"${TIMEOUT_VARIABLE} must be a number of seconds, not {raw!r}")
    return seconds


def generate(backend, messages: list[dict], *, status: Callable[[float | None], str],
             timeout: float | None = None, ended: Callable[[str], bool] | None = None,
             loading: Callable[[str], str] | None = None, **options) -> str:
    """The answer to ``messages`` (``options`` as for ``Backend.stream``: max_tokens,
    temperature, stop, seed, adapter). ``status(seconds)`` is the status line's text
    (seconds is None before the first piece); ``loading(progress)`` its text while the
    model loads (default: the status and the progress); ``ended(text)``, checked after
    each piece once the text has a line break, ends the generation early when it says the
    answer is complete."""
    from uvm.llm.progress import StatusLine, on_terminal, reporting
    limit = timeout if timeout is not None else generation_timeout()
    line = StatusLine() if on_terminal() else None
    try:
        if line:
            line.show(status(None))
        if hasattr(backend, "load"):  # loading the model is not generating: not timed
            loading = loading or (lambda progress: f"{status(None)} loading the model: {progress}")
            with reporting((lambda progress: line.show(loading(progress))) if line
                           else (lambda progress: None)):
                backend.load()
        started, text = time.monotonic(), ""
        with closing(backend.stream(messages, **options)) as pieces:
            for piece in pieces:
                text += piece
                if ended is not None and "\n" in text and ended(text):
                    break  # closing the stream stops the generation
                seconds = time.monotonic() - started
                if seconds > limit:
                    raise LLMError(f"the model took longer than {limit:g} s "
                                   f"(${TIMEOUT_VARIABLE} sets the limit)")
                if line:
                    line.show(status(seconds), text)
    finally:
        if line:
            line.close()
    return text
