"""The line-based REPL for when standard input or output is not a terminal (pipes, editors'
inferior shells, tests): the same inputs, commands and outcomes as the terminal REPL,
without editing. Values go to standard output and errors to standard error; prompts
(only when standard input is a terminal) and the banner go to standard error, so piped
output holds nothing but results.
"""
from __future__ import annotations

import sys
from typing import TextIO

from uvm.syntax import is_complete
from uvm.repl.session import Session, banner


def run_plain(session: Session, stdin: TextIO | None = None, stdout: TextIO | None = None,
              stderr: TextIO | None = None, prompts: bool | None = None) -> None:
    """Read inputs line by line until end of file or :quit. An input spans lines until it
    is complete; a command is one line."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if prompts is None:
        prompts = stdin.isatty()
    print(banner(session.image), file=stderr)
    lines: list[str] = []
    while not session.done:
        if prompts:
            stderr.write("...> " if lines else f"[{session.count + 1}] uvm> ")
            stderr.flush()
        try:
            line = stdin.readline()
        except KeyboardInterrupt:
            lines = []
            stderr.write("\n")
            continue
        if not line:                                   # end of input
            if lines:
                _run(session, "".join(lines), stdout, stderr)
            if prompts:
                stderr.write("\n")
            return
        lines.append(line)
        text = "".join(lines)
        if not text.strip():
            lines = []
            continue
        if text.lstrip().startswith(":") or is_complete(text):
            lines = []
            _run(session, text.rstrip("\n"), stdout, stderr)


def _run(session: Session, text: str, stdout: TextIO, stderr: TextIO) -> None:
    try:
        outcome = session.run(text)
    except KeyboardInterrupt:
        print("Interrupted.", file=stderr)
        return
    stdout.flush()
    if outcome.output:
        print(outcome.output, file=stdout)
        stdout.flush()
    if outcome.error:
        print(outcome.error, file=stderr)
        stderr.flush()
