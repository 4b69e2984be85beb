"""A real ZEO server process (`uvm serve`) shared by concurrent client processes."""
from __future__ import annotations

import socket
import subprocess
import sys
import textwrap

import pytest

import uvm

CLIENT = textwrap.dedent("""
    import sys, uvm
    spec, name, m = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with uvm.open(spec) as im:
        for i in range(m):
            im.eval(f"counter bump. '{name} ' print. {i} printLine", origin="script")
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    path = str(tmp_path / "shared.fs")
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| counter = (| parent* = traits clonable. n <- 0. bump = (n: n + 1) |) |)")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvm.cli", "serve", "--image", path,
                             "--address", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving"), line
        yield f"zeo://127.0.0.1:{port}", path
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_concurrent_clients_lose_no_increment_and_print_once(server):
    spec, _ = server
    n, m = 4, 25
    clients = [subprocess.Popen([sys.executable, "-c", CLIENT, spec, f"c{k}", str(m)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for k in range(n)]
    outputs = [c.communicate(timeout=300) for c in clients]
    for c, (out, err) in zip(clients, outputs):
        assert c.returncode == 0, err
        assert out.splitlines() == [f"{out.split()[0]} {i}" for i in range(m)]  # no repeats
    with uvm.open(spec) as im:
        assert im.eval("counter n") == n * m


def test_zeo_clients_see_each_others_definitions(server):
    spec, _ = server
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", spec, "-c",
                        "lobby _AddSlots: (| shared = (| parent* = traits clonable. hi = ('from a') |) |)"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    q = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", spec, "-p", "shared hi"],
                       capture_output=True, text=True, timeout=60)
    assert q.stdout == "'from a'\n"


def test_history_and_undo_through_zeo(server):
    spec, _ = server
    with uvm.open(spec) as im:
        im.eval("counter n: 41")
        im.undo(im.history(1)[0].id)
        assert im.eval("counter n") == 0


def test_unreachable_server_is_a_clear_error():
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", f"zeo://127.0.0.1:{free_port()}", "-c", "1"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "cannot reach the ZEO server" in p.stderr and "Traceback" not in p.stderr
