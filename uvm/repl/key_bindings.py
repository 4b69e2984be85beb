"""Keys that make the editor understand UVM input.

* Enter runs the input when it is complete (``uvm.syntax.is_complete``: brackets,
  strings and comments closed, not ending in an operator or keyword) and otherwise starts
  a new line indented by the number of open brackets. A ``:command`` always runs.
* Alt-Enter (Esc Enter) runs the input as it is, complete or not.
* A closing bracket typed on a blank line takes back one indentation step.
* Tab on a blank line indents; elsewhere it completes.
* F4 switches between Emacs and vi keys.
Ctrl-C (clear the input) and Ctrl-D (exit on an empty input) are prompt_toolkit's own.
"""
from __future__ import annotations

from prompt_toolkit.application.current import get_app
from prompt_toolkit.document import Document
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import (Condition, emacs_insert_mode, has_selection,
                                    vi_insert_mode, vi_navigation_mode)
from prompt_toolkit.key_binding import KeyBindings

from uvm.syntax import is_complete

INDENT = "  "


def open_brackets(text: str) -> int:
    """How many brackets are open at the end of ``text``."""
    from uvm.repl.static import CLOSE, OPEN, scan
    depth = 0
    for tok in scan(text)[0]:
        if tok.type in OPEN:
            depth += 1
        elif tok.type in CLOSE:
            depth = max(depth - 1, 0)
    return depth


def should_run(document: Document) -> bool:
    """Whether Enter runs the input (True) or adds a line (False)."""
    text = document.text
    if not text.strip() or text.lstrip().startswith(":"):
        return True
    if "\n" in text and document.text_after_cursor.strip():
        return False              # editing inside a multi-line input: Enter adds a line
    return is_complete(text)


def newline_indent(text_before_cursor: str) -> str:
    """The indentation a new line gets: one step per open bracket."""
    return INDENT * open_brackets(text_before_cursor)


def uvm_key_bindings(on_mode_change=None) -> KeyBindings:
    """The REPL's key bindings; ``on_mode_change(mode)`` hears of F4 switches."""
    kb = KeyBindings()
    insert = emacs_insert_mode | vi_insert_mode
    blank_line = Condition(lambda: not get_app().current_buffer.document
                           .current_line_before_cursor.strip())

    @kb.add("enter", filter=~has_selection & (insert | vi_navigation_mode))
    def _enter(event) -> None:
        buf = event.current_buffer
        state = buf.complete_state
        if state is not None and state.current_completion is not None:
            buf.apply_completion(state.current_completion)
            return
        if should_run(buf.document):
            buf.validate_and_handle()
        elif not vi_navigation_mode():
            buf.insert_text("\n" + newline_indent(buf.document.text_before_cursor))

    @kb.add("escape", "enter", filter=~has_selection)
    def _run_now(event) -> None:
        event.current_buffer.validate_and_handle()

    for closer in ")]}":
        @kb.add(closer, filter=insert & blank_line)
        def _dedent(event, closer=closer) -> None:
            buf = event.current_buffer
            line = buf.document.current_line_before_cursor
            if line.endswith(INDENT):
                buf.delete_before_cursor(len(INDENT))
            buf.insert_text(closer)

    @kb.add("tab", filter=insert & blank_line)
    def _indent(event) -> None:
        event.current_buffer.insert_text(INDENT)

    @kb.add("f4")
    def _toggle_mode(event) -> None:
        app = event.app
        vi = app.editing_mode == EditingMode.VI
        app.editing_mode = EditingMode.EMACS if vi else EditingMode.VI
        if on_mode_change is not None:
            on_mode_change("emacs" if vi else "vi")

    return kb
