"""The language reference's examples hold: the ```uvm blocks of docs/language.md run in
order in one fresh image, as a session; a line ending in a ``"→ value"`` comment must print
as that value -- or fail as ``SyntaxError`` / ``Error: message`` says -- and every other
statement must run without an error."""
from __future__ import annotations

import os
import re

import uvm
from uvm.runtime.errors import UvmError
from uvm.syntax import UvmSyntaxError, is_complete

from tests.conftest import REPO

DOC = os.path.join(REPO, "docs", "language.md")
CHECK = re.compile(r'^(?P<expr>.*?)\s+"→ (?P<want>.*)"\s*$')


def blocks(path: str) -> list[list[str]]:
    """The lines of each ```uvm block."""
    out, current = [], None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("```"):
                if current is None and line.strip() == "```uvm":
                    current = []
                elif current is not None:
                    out.append(current)
                    current = None
            elif current is not None:
                current.append(line.rstrip("\n"))
    return out


def statements() -> list[tuple[str, str | None]]:
    """(statement, expected printString or None) in document order."""
    found = []
    for block in blocks(DOC):
        pending = ""
        for line in block:
            m = CHECK.match(line)
            if m and not pending:
                found.append((m["expr"], m["want"]))
                continue
            pending += line + "\n"
            if is_complete(pending):
                if pending.strip():
                    found.append((pending, None))
                pending = ""
        assert not pending.strip(), f"an unfinished statement in a block: {pending!r}"
    return found


def test_the_examples_hold_run_in_order_as_a_session():
    checked, wrong = 0, []
    with uvm.open(memory=True) as image:
        for statement, want in statements():
            try:
                got = image.print_string(image.eval(statement, "<docs/language.md>"))
            except UvmSyntaxError:
                got = "SyntaxError"
            except UvmError as e:
                got = f"Error: {e.message}"
            if want is None:
                assert not got.startswith(("SyntaxError", "Error: ")), (statement, got)
                continue
            checked += 1
            if got != want:
                wrong.append(f"{statement.strip()}  gave {got}, the page says {want}")
    assert checked > 40
    assert wrong == []


def test_the_reference_links_nothing_outside_the_repository():
    text = open(DOC, encoding="utf-8").read()
    assert "../shared" not in text and "conformance" not in text
