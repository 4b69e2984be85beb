"""RelStorage on a real PostgreSQL server: the image shared by concurrent clients."""
from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

import uvm
from tests.conftest import require
from tests.image import postgres
from tests.image.test_zeo import CLIENT

@pytest.fixture(scope="module")
def pg():
    require("postgresql", postgres.available(), "postgresql")   # CI fails without it
    server = postgres.Server()
    yield server
    server.stop()


@pytest.fixture
def dsn(pg):
    return pg.new_database("t" + uuid.uuid4().hex[:10])


def test_an_image_in_postgresql_persists(dsn):
    with uvm.open(dsn) as im:
        im.eval("lobby _AddSlots: (| counter = (| parent* = traits clonable. n <- 0. bump = (n: n + 1) |) |)")
        im.eval("counter bump. counter bump")
    with uvm.open(dsn) as im:
        assert im.eval("counter n") == 2


def test_concurrent_clients_through_postgresql(dsn):
    with uvm.open(dsn) as im:
        im.eval("lobby _AddSlots: (| counter = (| parent* = traits clonable. n <- 0. bump = (n: n + 1) |) |)")
    n, m = 3, 15
    clients = [subprocess.Popen([sys.executable, "-c", CLIENT, dsn, f"c{k}", str(m)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for k in range(n)]
    for c in clients:
        out, err = c.communicate(timeout=300)
        assert c.returncode == 0, err
        assert len(out.splitlines()) == m
    with uvm.open(dsn) as im:
        assert im.eval("counter n") == n * m


def test_undo_in_postgresql(dsn):
    with uvm.open(dsn) as im:
        im.eval("lobby _AddSlots: (| v <- 1 |)")
        im.eval("v: 2")
        im.undo(im.history(1)[0].id)
        assert im.eval("v") == 1


def test_cli_with_postgresql(dsn):
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", dsn, "-p", "3 + 4"],
                       capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stdout) == (0, "7\n"), p.stderr
