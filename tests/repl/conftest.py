"""Fixtures for the REPL tests: a private data directory, and a driver that types into the
real prompt_toolkit REPL through a pipe (no terminal) and reads what it printed."""
from __future__ import annotations

import io
import threading
import time

import pytest
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from uvm.repl.session import Session
from uvm.repl.terminal import TerminalRepl

WAIT = 30.0   # seconds a condition may take before the test fails (never a timing assertion)
DEADLINE = 120.0  # seconds one driven REPL session may take before the test fails


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    """Keep REPL history and settings out of the real home directory."""
    home = tmp_path / "xdg-data"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("UVM_EDITING_MODE", raising=False)
    monkeypatch.setenv("INPUTRC", str(tmp_path / "no-inputrc"))
    return home


@pytest.fixture
def session(image):
    return Session(image)


class Driver:
    """The terminal REPL with keys from a pipe and its output in strings.

    ``run(keys)`` types everything at once; ``run(script=f)`` runs ``f(driver)`` in a
    thread that types, waits for the screen state it needs, and ends the REPL. A session
    that has not ended ``deadline`` seconds later (a :quit that does nothing, a lost
    Ctrl-D) is ended -- its input closed, then its application told to exit -- and the
    test fails saying so, instead of waiting for the suite's time limit."""

    def __init__(self, image, history="memory", editing_mode: str = "emacs"):
        self.session = Session(image, editing_mode=editing_mode)
        self.out, self.err = io.StringIO(), io.StringIO()
        self._pipe = create_pipe_input()
        self.input = self._pipe.__enter__()
        self.repl = TerminalRepl(self.session, input=self.input, output=DummyOutput(),
                                 stdout=self.out, stderr=self.err,
                                 history=InMemoryHistory() if history == "memory" else history,
                                 color=False)

    @property
    def buffer(self):
        return self.repl.prompt.default_buffer

    def type(self, keys: str) -> None:
        self.input.send_text(keys)

    def wait(self, condition, what: str) -> None:
        end = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > end:
                raise AssertionError(f"waited for {what}; buffer {self.buffer.text!r}, "
                                     f"out {self.out.getvalue()!r}, err {self.err.getvalue()!r}")
            time.sleep(0.01)

    def _expire(self) -> None:
        self.expired = True
        self.input.close()                       # the REPL reads end of file ...
        time.sleep(2.0)
        app = self.repl.prompt.app
        if app.is_running and app.loop is not None:   # ... or is told to stop
            app.loop.call_soon_threadsafe(lambda: app.exit(exception=EOFError()))

    def run(self, keys: str = "", script=None, deadline: float = DEADLINE) -> "Driver":
        failures: list[BaseException] = []
        self.expired = False
        watchdog = threading.Timer(deadline, self._expire)
        watchdog.daemon = True
        watchdog.start()
        if keys:
            self.type(keys)

        def play():
            try:
                script(self)
            except BaseException as e:  # noqa: BLE001 -- reported in the main thread
                failures.append(e)
                self.type("\x03\x04")
        thread = threading.Thread(target=play, daemon=True) if script else None
        if thread:
            thread.start()
        try:
            self.repl.run()
        finally:
            watchdog.cancel()
            watchdog.join()   # an _expire already running closes the input before we do
            if thread:
                thread.join(WAIT)
            self._pipe.__exit__(None, None, None)
        if self.expired:
            raise AssertionError(f"the REPL did not end within {deadline:g} s; out "
                                 f"{self.stdout[-500:]!r}, err {self.stderr[-500:]!r}")
        if failures:
            raise failures[0]
        return self

    @property
    def stdout(self) -> str:
        return self.out.getvalue()

    @property
    def stderr(self) -> str:
        return self.err.getvalue()

    def results(self) -> list[str]:
        """Standard output without the banner."""
        return self.stdout.split("Ctrl-D exits.\n", 1)[1].splitlines()


@pytest.fixture
def driver(image):
    return Driver(image)
