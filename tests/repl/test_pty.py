"""``uvm`` in a real pseudo-terminal: pexpect runs it, pyte renders what it draws, and the
tests read the screen like a person would."""
from __future__ import annotations

import os
import sys
import time

import pexpect
import pyte
import pytest

from tests.conftest import REPO

ROWS, COLS = 30, 100
WAIT = 60.0


class Terminal:
    def __init__(self, args, tmp_path):
        env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), TERM="xterm",
                   PROMPT_TOOLKIT_NO_CPR="1", INPUTRC=str(tmp_path / "none"),
                   PYTHONPATH=REPO)
        env.pop("UVM_EDITING_MODE", None)
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(sys.executable, ["-m", "uvm.cli", *args], env=env,
                                   cwd=str(tmp_path), dimensions=(ROWS, COLS))
        self.ended = False
        self.wait = WAIT  # seconds each wait_for may take (longer for the real model)

    def pump(self) -> None:
        try:
            self.stream.feed(self.child.read_nonblocking(65536, timeout=0.05))
        except pexpect.TIMEOUT:
            pass
        except pexpect.EOF:
            self.ended = True

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, needle: str) -> None:
        end = time.monotonic() + self.wait
        while needle not in self.text():
            if self.ended or time.monotonic() > end:
                raise AssertionError(f"{needle!r} never appeared; the screen:\n{self.text()}")
            self.pump()

    def wait_for_prompt(self, count: int) -> None:
        """Until ``count`` prompts are on the screen (the REPL is reading again)."""
        end = time.monotonic() + self.wait
        while self.text().count("uvm>") < count:
            if self.ended or time.monotonic() > end:
                raise AssertionError(f"no prompt #{count}; the screen:\n{self.text()}")
            self.pump()

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self, deadline: float = WAIT) -> int:
        """Wait (at most ``deadline`` seconds) for the program to exit; its exit status."""
        end = time.monotonic() + deadline
        while not self.ended and time.monotonic() < end:
            self.pump()
        if not self.ended:
            self.child.terminate(force=True)
            raise AssertionError(f"uvm did not exit within {deadline:g} s; the screen:\n"
                                 f"{self.text()}")
        self.child.wait()
        return self.child.exitstatus


@pytest.fixture
def term(tmp_path):
    t = Terminal(["--memory"], tmp_path)
    yield t
    if t.child.isalive():
        t.child.terminate(force=True)


def test_a_session_on_the_screen(term):
    term.wait_for("uvm>")
    assert "objects." in term.text() and "Model: " in term.text()
    term.send("3 + 4\r")
    term.wait_for_prompt(2)
    assert "[1] uvm> 3 + 4\n7\n" in term.text()

    term.send("(| x <- 3 |\r")
    term.wait_for("...>")
    term.send("x * 2)\r")
    term.wait_for_prompt(3)
    assert "...>   x * 2)\n6\n" in term.text()

    term.send("traits integer fact")
    term.wait_for("factorial")          # the completion menu, drawn under the input
    term.send("\x03")                   # Ctrl-C: the input is dropped
    term.wait_for_prompt(4)

    term.send("nil zork\r")
    term.wait_for("Error: doesNotUnderstand: #zork, sent to nil")
    term.wait_for_prompt(5)
    assert "Traceback" not in term.text()

    term.send("'looping' printLine. [true] whileTrue: []\r")
    term.wait_for("\nlooping\n")     # printed by the running loop, not the typed input
    term.child.sendintr()
    term.wait_for("Interrupted: the evaluation stopped")
    term.wait_for_prompt(6)

    term.send("\x04")
    assert term.finish() == 0


def test_the_image_and_the_history_outlive_the_process(tmp_path):
    first = Terminal(["--image", "live.fs"], tmp_path)
    first.wait_for("uvm>")
    assert "live.fs" in first.text()
    first.send("lobby _AddSlots: (| counter <- 41 |)\r")
    first.wait_for_prompt(2)
    first.send("counter: counter + 1. counter\r")
    first.wait_for_prompt(3)
    assert "\n42\n" in first.text()
    first.send("\x04")
    assert first.finish() == 0

    second = Terminal(["--image", "live.fs"], tmp_path)
    second.wait_for("uvm>")
    second.send("\x1b[A")               # Up: the last input, from the history file
    second.wait_for("counter: counter + 1")
    second.send("\r")
    second.wait_for_prompt(2)
    assert "\n43\n" in second.text()
    second.send("\x04")
    assert second.finish() == 0
    assert (tmp_path / "xdg" / "uvm" / "repl_history").exists()
