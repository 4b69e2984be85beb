"""History, undo and time travel on a real FileStorage image."""
from __future__ import annotations

import subprocess
import sys

import pytest

import uvm
from uvm.image.image import ImageError

COUNTER = "lobby _AddSlots: (| c = (| parent* = traits clonable. n <- 0. bump = (n: n + 1) |) |)"


@pytest.fixture
def path(tmp_path):
    p = str(tmp_path / "h.fs")
    with uvm.open(p) as im:
        im.eval(COUNTER, origin="script")
        im.eval("c bump", origin="repl")
        im.eval("c bump. c n: c n * 10", origin="-c")
    return p


def test_history_lists_evaluations_newest_first(path):
    with uvm.open(path) as im:
        rows = im.history(10)
    assert [r.origin for r in rows[:4]] == ["-c", "repl", "script", "bootstrap"]
    assert rows[0].source == "c bump. c n: c n * 10"
    assert all(len(r.id) == 16 for r in rows)
    assert rows[0].time >= rows[1].time


def test_undo_takes_one_evaluation_back(path):
    with uvm.open(path) as im:
        assert im.eval("c n") == 20
        last = im.history(1)[0]
        im.undo(last.id[-6:])
        assert im.eval("c n") == 1                     # in this process at once
        assert im.history(1)[0].origin == "undo"
    with uvm.open(path) as im:
        assert im.eval("c n") == 1                     # and in the file


def test_undo_refuses_when_later_evaluations_touched_the_same_objects(path):
    with uvm.open(path) as im:
        older = im.history(2)[1]                       # the plain "c bump"
        with pytest.raises(ImageError, match="later evaluation changed the same objects"):
            im.undo(older.id)
        assert im.eval("c n") == 20                    # nothing changed
        assert im.eval("c bump. c n") == 21            # and the image still works


def test_undo_of_a_slot_definition(path):
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| extra = 42 |)")
        assert im.eval("extra") == 42
        im.undo(im.history(1)[0].id)
        assert im.eval("lobby _SlotNames includes: 'extra'") is False


def test_bad_ids_are_clear(path):
    with uvm.open(path) as im:
        with pytest.raises(ImageError, match="not an evaluation id"):
            im.undo("xyz")
        with pytest.raises(ImageError, match="no evaluation"):
            im.undo("ffffffffffffffff")
        with pytest.raises(ImageError, match="bootstrap cannot be undone"):
            im.undo(next(r.id for r in im.history(10) if r.origin == "bootstrap"))


def test_time_travel_reads_an_earlier_state(path):
    with uvm.open(path) as im:
        first_bump = im.history(2)[1]
        with im.at(first_bump.id) as then:
            assert then.eval("c n") == 1
            assert then.lobby._slots["c"]._slots["n"] == 1
        assert im.eval("c n") == 20


def test_history_command_works_while_another_process_holds_the_image(path):
    holder = subprocess.Popen([sys.executable, "-c",
                               "import sys, time, uvm; im = uvm.open(sys.argv[1]); print('ready', flush=True); time.sleep(30)",
                               path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        p = subprocess.run([sys.executable, "-m", "uvm.cli", "history", "--image", path, "-n", "3"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        lines = p.stdout.splitlines()
        assert len(lines) == 3 and "c bump. c n: c n * 10" in lines[0]
        u = subprocess.run([sys.executable, "-m", "uvm.cli", "undo", "--image", path, lines[0].split()[0]],
                           capture_output=True, text=True, timeout=60)
        assert u.returncode == 1 and "uvm serve" in u.stderr and "Traceback" not in u.stderr
    finally:
        holder.kill()
        holder.wait()


def test_undo_command(path):
    ident = uvm.open(path)
    try:
        last = ident.history(1)[0].id
    finally:
        ident.close()
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "undo", "--image", path, last],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout.startswith(f"undid {last}")
    q = subprocess.run([sys.executable, "-m", "uvm.cli", "-p", "c n", "--image", path],
                       capture_output=True, text=True, timeout=60)
    assert q.stdout == "1\n"
