"""The REPL: where people spend their time with UVM.

``run_repl`` picks the front end: the prompt_toolkit REPL on a terminal
(``terminal.py``), the line-based one otherwise (``plain.py``). Both hand inputs to a
``Session`` (``session.py``), as the Jupyter kernel (``kernel.py``) does. The parts:

    session.py       an input -> an Outcome (value, error, interrupt, command output)
    commands.py      the :commands          completion.py   what can be typed next
    static.py        receivers resolved without running code
    inspector.py     :inspect               graph.py        :graph (DOT, Graphviz)
    display.py       short values, truncation
    lexer.py         the Pygments lexer     key_bindings.py Enter, indentation, F4
    completer.py     prompt_toolkit adapter settings.py     history file, editing mode

This module stays cheap to import: Pygments imports ``uvm.repl.lexer`` by entry point.
"""
from __future__ import annotations

import os
import sys

__all__ = ["run_repl"]


def use_terminal() -> bool:
    """The full editor needs a terminal on both sides and a TERM that can draw."""
    if os.environ.get("TERM") == "dumb" or os.environ.get("UVM_PLAIN_REPL"):
        return False
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def run_repl(image, debug: bool = False) -> None:
    """Run the REPL on an open image until Ctrl-D or :quit."""
    from uvm.repl.session import Session
    from uvm.repl.settings import default_editing_mode
    terminal = use_terminal()
    session = Session(image, debug=debug, approve=terminal,
                      editing_mode=default_editing_mode())
    if terminal:
        from uvm.repl.terminal import TerminalRepl
        TerminalRepl(session).run()
    else:
        from uvm.repl.plain import run_plain
        run_plain(session)
