"""Model-written methods with a person at a real pseudo-terminal: ``--approve`` for -c and
piped programs, the REPL's typo question, and the progress and notes a terminal gets.
Answers come from the ``script:`` test double."""
from __future__ import annotations

import json
import os
import shlex
import sys

import pexpect
import pytest

from tests.conftest import REPO
from tests.repl.test_pty import Terminal

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)"
GOOD = "def triple_(self, n):\n    return n * 3\n"


class RecordingTerminal(Terminal):
    """The terminal, also keeping every byte the program wrote (a status line is drawn
    and erased again, so the final screen never shows it)."""

    def __init__(self, args, tmp_path):
        super().__init__(args, tmp_path)
        self.raw = b""

    def pump(self) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=0.05)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self.ended = True
            return
        self.raw += data
        self.stream.feed(data)


def answers(tmp_path, *texts) -> str:
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
    return "script:" + str(path)


@pytest.fixture
def spawned():
    terminals = []

    def spawn(args, tmp_path):
        t = RecordingTerminal(args, tmp_path)
        terminals.append(t)
        return t
    yield spawn
    for t in terminals:
        if t.child.isalive():
            t.child.terminate(force=True)


def test_approve_yes_installs_and_says_where_it_went(tmp_path, spawned):
    t = spawned(["--memory", "--llm", answers(tmp_path, GOOD), "--approve",
                 "-c", CALC + ". (calc triple: 3) printLine"], tmp_path)
    t.wait_for("Install it? [y/N]")
    screen = t.text()
    assert "The model wrote #triple: for calc (and clones made from it after this):" in screen
    assert "return n * 3" in screen
    t.send("y\r")
    t.wait_for("\n9")
    assert t.finish() == 0
    assert b"writing #triple: (attempt 1/3" in t.raw           # progress, on a terminal
    assert "wrote calc triple: (attempt 1, " in t.text()


def test_approve_no_leaves_nothing(tmp_path, spawned):
    t = spawned(["--memory", "--llm", answers(tmp_path, GOOD), "--approve",
                 "-c", CALC + ". (calc triple: 3) printLine"], tmp_path)
    t.wait_for("Install it? [y/N]")
    t.send("\r")                                            # Enter: the default, no
    t.wait_for("the model's method was not installed (declined)")
    assert t.finish() == 1
    assert "wrote calc" not in t.text()


def test_approve_reads_the_answer_from_the_terminal_when_stdin_is_a_pipe(tmp_path):
    program = CALC + ". (calc triple: 4) printLine"
    command = (f"echo {shlex.quote(program)} | {shlex.quote(sys.executable)} -m uvm.cli "
               f"--memory --llm {shlex.quote(answers(tmp_path, GOOD))} --approve -")
    child = pexpect.spawn("bash", ["-c", command], cwd=str(tmp_path), timeout=60,
                          encoding="utf-8", env={**os.environ, "PYTHONPATH": REPO})
    try:
        child.expect_exact("Install it? [y/N] ")
        child.sendline("yes")
        child.expect_exact("12")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0
    finally:
        if child.isalive():
            child.terminate(force=True)


@pytest.mark.parametrize("answer", ["y", "n"])
def test_the_repl_asks_before_refusing_a_typo(tmp_path, spawned, answer):
    t = spawned(["--memory", "--llm", answers(tmp_path, "def facotrial(self):\n    return 6\n")],
                tmp_path)
    t.wait_for("uvm>")
    t.send("3 facotrial\r")
    t.wait_for("#facotrial is not understood; did you mean #factorial? "
               "Write #facotrial with the model anyway? [y/N]")
    t.send(answer + "\r")
    if answer == "y":
        t.wait_for("The model wrote #facotrial for traits integer (every integer):")
        t.wait_for("Install it? [y/N]")
        t.send("y\r")
        t.wait_for_prompt(2)
        assert "wrote traits integer facotrial (attempt 1, " in t.text()
        assert "\n6\n" in t.text()
    else:
        t.wait_for("Error: doesNotUnderstand: #facotrial, sent to 3 (did you mean #factorial?)")
        t.wait_for_prompt(2)
        assert "The model wrote" not in t.text()
    t.send("\x04")
    assert t.finish() == 0
