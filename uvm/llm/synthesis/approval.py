"""Approval mode: each model-written method is shown with where it will go, and the person
decides -- install it, decline it, have the model try again (optionally with a hint), or
edit it in ``$EDITOR`` first (the edit is audited like the model's code).

An approver is ``approver(selector, code, where, note="") -> bool | Decision`` (True and
False mean install and decline; ``note`` says why an edit was refused). The REPL asks on
its terminal; ``uvm --approve`` asks here (``TerminalApproval``), for scripts and ``-c``:
the answer is read from standard input when it is a terminal, else from ``/dev/tty`` (the
program may be reading its own standard input). With neither there is no one to ask, and
the run is refused before it starts rather than when the model has written something.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import TextIO

from uvm.llm.synthesis.pipeline import typo_question

QUESTION = "Install it? [y/N]"
CHOICES = "(y: install it, n: do not, t: the model tries again (you may add a hint), e: edit it)"
HINT_QUESTION = "A hint for the model (Enter for none): "


class NoTerminal(Exception):
    pass


class EditorError(Exception):
    """The editor could not be started or failed; the message says why."""


@dataclass(frozen=True)
class Decision:
    """What the person decided about a model-written method."""
    action: str          # install, decline, again (another answer), edit (install ``code``)
    hint: str = ""       # for again: what the model should do differently
    code: str = ""       # for edit: the person's version

INSTALL = Decision("install")
DECLINE = Decision("decline")


def decision_of(answer) -> Decision:
    """An approver's answer as a Decision (True: install, False: decline)."""
    if isinstance(answer, Decision):
        return answer
    return INSTALL if answer else DECLINE


def choice_of(text: str) -> str:
    """The action a typed answer names: y/yes install, t/try again, e/edit; anything else
    (Enter included) declines."""
    word = text.strip().lower()
    if word in ("y", "yes"):
        return "install"
    if word in ("t", "try", "try again", "again"):
        return "again"
    if word in ("e", "edit"):
        return "edit"
    return "decline"


def highlighted(code: str, color: bool) -> str:
    """``code`` coloured as Python for a terminal; as it is otherwise."""
    if not color:
        return code
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import PythonLexer
    return highlight(code, PythonLexer(), TerminalFormatter())


def shown_for_approval(selector: str, code: str, where: str, color: bool, note: str = "") -> str:
    head = f"{note}\nYour edit of #{selector}" if note else f"The model wrote #{selector}"
    return f"{head} for {where}:\n{highlighted(code, color).rstrip()}\n{CHOICES}"


def editor_command() -> list[str]:
    """``$VISUAL``, else ``$EDITOR``, else vi -- split like a shell would (``code -w``)."""
    for name in ("VISUAL", "EDITOR"):
        value = os.environ.get(name, "").strip()
        if value:
            return shlex.split(value)
    return ["vi"]


def edit_text(text: str, suffix: str = ".py", terminal=None) -> str:
    """``text`` as the person left it after editing it in their editor (which reads the
    keys from ``terminal``, a file, when standard input is not the terminal)."""
    handle, path = tempfile.mkstemp(prefix="uvm-edit-", suffix=suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        command = editor_command()
        try:
            done = subprocess.run([*command, path], stdin=terminal)
        except OSError as e:
            raise EditorError(f"cannot start the editor {command[0]!r}: {e.strerror} "
                              "(set $EDITOR)") from None
        if done.returncode != 0:
            raise EditorError(f"the editor {command[0]!r} exited with status {done.returncode}")
        with open(path, encoding="utf-8") as f:
            return f.read()
    finally:
        os.unlink(path)


def edited_decision(code: str, terminal=None) -> Decision:
    """Open ``code`` in the editor: an edit to install, or (emptied, or the editor failed)
    a decline."""
    try:
        edited = edit_text(code, terminal=terminal)
    except EditorError as e:
        print(f"uvm: {e}; the method is not installed", file=sys.stderr)
        return DECLINE
    return Decision("edit", code=edited) if edited.strip() else DECLINE


def _file_of(stream):
    """``stream`` if it is a file the editor can read from (not standard input), else None."""
    if stream is sys.stdin:
        return None
    try:
        stream.fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return stream


class TerminalApproval:
    """``approve`` and ``confirm_typo`` for a ``Synthesizer``: questions on ``out``,
    answers (a line each) from ``answers``."""

    def __init__(self, answers: TextIO, out: TextIO):
        self.answers, self.out = answers, out

    @classmethod
    def open(cls) -> "TerminalApproval":
        try:
            answers = sys.stdin if sys.stdin.isatty() else open("/dev/tty", encoding="utf-8")
        except (OSError, ValueError, AttributeError):
            raise NoTerminal("approval needs a terminal to ask on: standard input is not one "
                             "and there is no /dev/tty (run without --approve to install "
                             "model-written methods without asking)") from None
        return cls(answers, sys.stderr)

    def approve(self, selector: str, code: str, where: str, note: str = "") -> Decision:
        color = self.out.isatty()
        self.out.write(shown_for_approval(selector, code, where, color, note) + "\n")
        action = choice_of(self._ask(QUESTION + " "))
        if action == "again":
            return Decision("again", hint=self._ask(HINT_QUESTION).strip())
        if action == "edit":  # the editor reads keys where the answers come from
            return edited_decision(code, _file_of(self.answers))
        return INSTALL if action == "install" else DECLINE

    def confirm_typo(self, selector: str, suggestion: str) -> bool:
        return choice_of(self._ask(f"{typo_question(selector, suggestion)} [y/N] ")) == "install"

    def _ask(self, question: str) -> str:
        self.out.write(question)
        self.out.flush()
        return self.answers.readline()
