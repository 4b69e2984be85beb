"""UVM syntax errors: a message, a position and the offending line with a caret."""
from __future__ import annotations


class UvmSyntaxError(Exception):
    """Raised for any text that is not UVM. Always carries file, line and column (1-based).

    ``str(err)`` is ``file:line:col: message``; ``err.pretty()`` adds the source line and a
    caret under the column, the way the CLI and REPL show it."""

    def __init__(self, message: str, file: str, line: int, col: int, source_line: str = ""):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"

    def pretty(self) -> str:
        text = f"SyntaxError: {self.message}\n  at {self.file}:{self.line}:{self.col}"
        if self.source_line:
            line = self.source_line.expandtabs(1).rstrip("\n")
            text += f"\n    {line}\n    {' ' * (self.col - 1)}^"
        return text
