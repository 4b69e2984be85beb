"""A real ZEO server process killed at the worst moments: right after it made a client's
commit durable but before the client heard so, and while a client opens the image.

The server is ``uvm serve`` with one ZODB method wrapped so that it freezes at that moment
and says so on its standard output; the test then SIGKILLs it there."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

import uvm
from tests.image.test_zeo import free_port

WAIT = 60

FREEZING_SERVER = textwrap.dedent("""
    import sys, time
    moment, rest = sys.argv[1], sys.argv[2:]

    def freeze():
        print("FROZEN", flush=True)
        time.sleep(3600)

    if moment == "after-commit":     # the transaction is durable; the client waits to hear
        from ZODB.FileStorage import FileStorage
        finish = FileStorage.tpc_finish
        def tpc_finish(self, transaction, f=None):
            tid = finish(self, transaction, f)
            if b"kill-here" in (transaction.description or b""):
                freeze()
            return tid
        FileStorage.tpc_finish = tpc_finish
    else:                            # "load-N": the N-th object a client asks for
        from ZEO.StorageServer import ZEOStorage
        count = [int(moment.split("-")[1])]
        load = ZEOStorage.loadBefore
        def loadBefore(self, oid, tid):
            count[0] -= 1
            if count[0] == 0:
                freeze()
            return load(self, oid, tid)
        ZEOStorage.loadBefore = loadBefore
    from uvm.cli import main
    sys.exit(main(["serve", *rest]))
""")


class Server:
    def __init__(self, path: str, moment: str):
        self.port = free_port()
        self.spec = f"zeo://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", FREEZING_SERVER, moment, "--image", path, "--address",
             f"127.0.0.1:{self.port}"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("serving"), line

    def kill_when_frozen(self) -> None:
        """Wait (with a deadline) until the server froze at its moment, then SIGKILL it."""
        import selectors
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            if not sel.select(timeout=WAIT):
                raise AssertionError(f"the server never reached its moment in {WAIT} s")
        assert self.proc.stdout.readline().strip() == "FROZEN"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=WAIT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=WAIT)


@pytest.fixture
def image_file(tmp_path):
    path = str(tmp_path / "shared.fs")
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| counter = (| n <- 0 |) |)")
    return path


def client(spec: str, code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "uvm.cli", "--image", spec, "-c", code],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, UVM_LLM="none"))


def test_a_commit_whose_outcome_is_unknown_says_so_and_is_not_run_again(image_file):
    server = Server(image_file, "after-commit")
    try:
        c = client(server.spec, "'ran' printLine. counter n: counter n + 1. \"kill-here\"")
        server.kill_when_frozen()
        out, err = c.communicate(timeout=WAIT)
    finally:
        server.stop()
    assert c.returncode == 1
    assert "the server went away while committing: the evaluation may have been " \
           "committed; check `uvm history`" in err
    assert "rolled back" not in err and "Traceback" not in err
    assert "second phase" not in err                   # transaction's own log message
    assert out.count("ran") == 1                       # it ran once, and was not retried
    with uvm.open(image_file) as im:                   # it had committed, exactly once
        assert im.eval("counter n") == 1
        assert "kill-here" in im.history(1)[0].source


def test_a_server_killed_before_the_second_phase_commits_nothing(image_file):
    """The control: a server gone before any client commit began is an ordinary error
    (nothing committed), reported in words."""
    server = Server(image_file, "after-commit")
    server.stop()
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", server.spec, "-c", "1"],
                       capture_output=True, text=True, timeout=WAIT)
    assert p.returncode == 1 and "cannot reach the ZEO server" in p.stderr
    with uvm.open(image_file) as im:
        assert im.eval("counter n") == 0


@pytest.mark.parametrize("load", [1, 2, 4])
def test_a_server_killed_while_a_client_opens_the_image(image_file, load):
    server = Server(image_file, f"load-{load}")
    try:
        c = client(server.spec, "counter n: counter n + 1")
        server.kill_when_frozen()
        out, err = c.communicate(timeout=WAIT)
    finally:
        server.stop()
    assert c.returncode == 1 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"cannot open {server.spec}: lost the connection to the ZEO server" in err
    with uvm.open(image_file) as im:
        assert im.eval("counter n") == 0
