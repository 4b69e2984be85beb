"""The drivers of the REPL tests fail a session that does not end, with a message, in
seconds: a regression such as a ``:quit`` that does nothing cannot hang the suite."""
from __future__ import annotations

import time

import pytest

from tests.repl.conftest import Driver
from tests.repl.test_pty import Terminal
from uvm.repl import commands


@pytest.fixture
def broken_quit(monkeypatch):
    """``:quit`` as a regression might leave it: it answers, and the REPL goes on."""
    monkeypatch.setattr(commands.COMMANDS["quit"], "run", lambda session, arg: "")


def test_a_quit_that_does_nothing_fails_the_headless_test(image, broken_quit):
    driver = Driver(image)
    started = time.monotonic()
    with pytest.raises(AssertionError, match="the REPL did not end within 3 s"):
        driver.run(":quit\r", deadline=3)
    assert time.monotonic() - started < 60          # it did not wait for pytest-timeout


def test_a_session_that_ends_in_time_passes(image):
    assert Driver(image).run(":quit\r", deadline=30).session.done


def test_a_program_that_never_exits_fails_the_pty_test(tmp_path):
    term = Terminal(["--memory"], tmp_path)
    try:
        term.wait_for("uvm>")
        term.send(":debug on\r")                      # anything but an end: it keeps reading
        with pytest.raises(AssertionError, match="did not exit within 3 s"):
            term.finish(deadline=3)
    finally:
        if term.child.isalive():
            term.child.terminate(force=True)
