"""prompt_toolkit's side of completion: ``completion.complete`` as a ``Completer``.

Completion runs in the prompt's own thread (not prompt_toolkit's worker thread): it reads
the image's objects, and a ZODB connection belongs to one thread.
"""
from __future__ import annotations

from typing import Iterable

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from uvm.repl.completion import complete


class UvmCompleter(Completer):
    """Completes UVM selectors, slot names, keyword parts and REPL commands."""

    def __init__(self, session):
        self.session = session

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterable[Completion]:
        try:
            candidates = complete(self.session, document.text, document.cursor_position,
                                  explicit=complete_event.completion_requested)
        except Exception:  # noqa: BLE001 -- a completion bug must never break typing
            return
        for c in candidates:
            yield Completion(c.text, start_position=c.start, display=c.display,
                             display_meta=c.meta)
