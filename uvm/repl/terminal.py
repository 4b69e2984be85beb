"""The interactive REPL on a terminal, built from prompt_toolkit parts: the UVM lexer for
colour, ``UvmCompleter``, the key bindings of ``key_bindings.py``, a history file with
suggestions from it, and matching-bracket highlighting.

The loop is plain: read an input (Ctrl-C clears it, Ctrl-D ends the loop), hand it to the
``Session``, print the outcome. Evaluation runs in the main thread, so Ctrl-C while it
runs raises KeyboardInterrupt inside it; the image aborts the transaction and the session
reports the interrupt.
"""
from __future__ import annotations

import os
import sys
from typing import TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.layout.processors import HighlightMatchingBracketProcessor
from prompt_toolkit.lexers import PygmentsLexer
from prompt_toolkit.styles import Style

from uvm.repl.completer import UvmCompleter
from uvm.repl.key_bindings import uvm_key_bindings
from uvm.repl.lexer import UvmLexer
from uvm.repl.session import Outcome, Session, banner
from uvm.repl.settings import history_path

PROMPT = "uvm> "
CONTINUATION = "...> "
STYLE = Style.from_dict({
    "prompt": "ansigreen bold",
    "continuation": "ansigreen",
    "matching-bracket.cursor": "bold bg:ansibrightblack",
    "matching-bracket.other": "bold bg:ansibrightblack",
})
_RED, _DIM, _RESET = "\x1b[31m", "\x1b[2m", "\x1b[0m"


def numbered_prompt(number: int) -> str:
    """The prompt for input ``number``: ``[7] uvm> `` (input 7's value is ``out7``)."""
    return f"[{number}] {PROMPT}"


def open_history() -> tuple[History, str | None]:
    """The persistent input history, or an in-memory one and a warning if the data
    directory cannot be written."""
    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=True)
        return FileHistory(str(path)), None
    except OSError as e:
        return InMemoryHistory(), f"(input history is not saved: cannot write {path}: {e.strerror})"


class TerminalRepl:
    """One interactive REPL. ``input``/``output`` are prompt_toolkit's (tests pass a pipe
    input and a dummy output); ``stdout``/``stderr`` receive results and errors."""

    def __init__(self, session: Session, *, input=None, output=None,
                 stdout: TextIO | None = None, stderr: TextIO | None = None,
                 history: History | None = None, color: bool | None = None):
        self.session = session
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self.color = self.stderr.isatty() if color is None else color
        note = None
        if history is None:
            history, note = open_history()
        self.history_note = note
        self.prompt = PromptSession(
            message=lambda: [("class:prompt", numbered_prompt(session.count + 1))],
            prompt_continuation=lambda width, line, wrap: [("class:continuation",
                                                            CONTINUATION.rjust(width))],
            multiline=True,
            lexer=PygmentsLexer(UvmLexer),
            completer=UvmCompleter(session),
            complete_while_typing=True,
            auto_suggest=AutoSuggestFromHistory(),
            history=history,
            key_bindings=uvm_key_bindings(self._mode_changed),
            editing_mode=_mode(session.editing_mode),
            input_processors=[HighlightMatchingBracketProcessor(chars="[](){}")],
            style=STYLE,
            enable_open_in_editor=True,
            tempfile_suffix=".uvm",
            input=input,
            output=output,
        )

    def _mode_changed(self, mode: str) -> None:
        self.session.editing_mode = mode

    def run(self) -> None:
        """Read, evaluate, print until Ctrl-D or :quit."""
        from uvm.llm.synthesis import set_approver, set_typo_question
        set_approver(self.approve)
        set_typo_question(self.confirm_typo)
        self._write(self.stdout, banner(self.session.image))
        if self.history_note:
            self._write(self.stderr, self.history_note)
        while not self.session.done:
            try:
                text = self.prompt.prompt()
            except KeyboardInterrupt:
                continue                       # Ctrl-C while typing: a fresh, empty input
            except EOFError:
                break                          # Ctrl-D on an empty input
            try:
                outcome = self.session.run(text)
            except KeyboardInterrupt:          # between the evaluation and its report
                outcome = Outcome("interrupted", error="Interrupted.")
            self.show(outcome)
            if self.prompt.app.editing_mode != _mode(self.session.editing_mode):
                self.prompt.app.editing_mode = _mode(self.session.editing_mode)

    def approve(self, selector: str, code: str, where: str, note: str = ""):
        """Approval mode (:approve on, the default here): show the model's method and let
        the person install it, decline it, have the model try again or edit it first."""
        if not self.session.approve:
            return True
        from uvm.llm.synthesis import approval as A
        self._write(self.stdout, A.shown_for_approval(selector, code, where, self.color, note))
        action = A.choice_of(self._line(A.QUESTION + " "))
        if action == "again":
            return A.Decision("again", hint=self._line(A.HINT_QUESTION).strip())
        if action == "edit":
            return A.edited_decision(code)
        return A.INSTALL if action == "install" else A.DECLINE

    def confirm_typo(self, selector: str, suggestion: str) -> bool:
        """In approval mode a send that looks like a typo may still be meant: ask whether
        the model should write it anyway (no: the "did you mean" error stands)."""
        if not self.session.approve:
            return False
        from uvm.llm.synthesis import typo_question
        return self._yes(typo_question(selector, suggestion))

    def _yes(self, question: str) -> bool:
        """A line answer on this REPL's terminal: y or yes; anything else, Ctrl-C or
        Ctrl-D is no."""
        return self._line(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    def _line(self, question: str) -> str:
        """One line typed on this REPL's terminal ("" for Ctrl-C or Ctrl-D)."""
        ask = PromptSession(input=self.prompt.input, output=self.prompt.output)
        try:
            return ask.prompt(question)
        except (KeyboardInterrupt, EOFError):
            return ""

    def show(self, outcome: Outcome) -> None:
        if outcome.output and not self._paged(outcome.output):
            self._write(self.stdout, outcome.output)
        if outcome.error:
            self._write(self.stderr, self._red(outcome.error))

    def _paged(self, text: str) -> bool:
        """Output taller than the terminal goes through the pager, as in IPython:
        ``$PAGER``, else ``less -R -X`` (which leaves it on the screen). False when it was
        not paged (no terminal, it fits, or no pager to run)."""
        import pydoc
        import shlex
        import shutil
        try:
            if not self.stdout.isatty():
                return False
        except (AttributeError, ValueError):
            return False
        if text.count("\n") + 2 < shutil.get_terminal_size().lines:
            return False
        command = os.environ.get("PAGER", "").strip() or "less -R -X"
        try:
            program = shlex.split(command)[0]
        except (ValueError, IndexError):
            return False
        if shutil.which(program) is None:
            return False
        pydoc.pipepager(text + "\n", command)
        return True

    def _red(self, text: str) -> str:
        if not self.color:
            return text
        first, _, rest = text.partition("\n")
        return f"{_RED}{first}{_RESET}" + (f"\n{_DIM}{rest}{_RESET}" if rest else "")

    def _write(self, stream: TextIO, text: str) -> None:
        stream.write(text + "\n")
        stream.flush()


def _mode(name: str) -> EditingMode:
    return EditingMode.VI if name == "vi" else EditingMode.EMACS
