"""Approval mode for scripts and ``-c`` (``uvm --approve``): each model-written method is
shown on standard error with where it will go, and installed only if the person at the
terminal answers y.

The answer is read from standard input when it is a terminal, else from ``/dev/tty`` (the
program may be reading its own standard input). With neither there is no one to ask, and
the run is refused before it starts rather than when the model has written something.
"""
from __future__ import annotations

import sys
from typing import TextIO

from uvm.llm.synthesis.pipeline import typo_question


class NoTerminal(Exception):
    pass


def highlighted(code: str, color: bool) -> str:
    """``code`` coloured as Python for a terminal; as it is otherwise."""
    if not color:
        return code
    from pygments import highlight
    from pygments.formatters import TerminalFormatter
    from pygments.lexers import PythonLexer
    return highlight(code, PythonLexer(), TerminalFormatter())


def shown_for_approval(selector: str, code: str, where: str, color: bool) -> str:
    return f"The model wrote #{selector} for {where}:\n{highlighted(code, color).rstrip()}"


class TerminalApproval:
    """``approve`` and ``confirm_typo`` for a ``Synthesizer``: questions on ``out``,
    answers (a line: y or yes; anything else is no) from ``answers``."""

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

    def approve(self, selector: str, code: str, where: str) -> bool:
        color = self.out.isatty()
        self.out.write(shown_for_approval(selector, code, where, color) + "\n")
        return self._yes("Install it?")

    def confirm_typo(self, selector: str, suggestion: str) -> bool:
        return self._yes(typo_question(selector, suggestion))

    def _yes(self, question: str) -> bool:
        self.out.write(f"{question} [y/N] ")
        self.out.flush()
        return self.answers.readline().strip().lower() in ("y", "yes")
