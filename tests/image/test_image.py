"""The living image: persistence, one transaction per evaluation, clear failures."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import uvm
from uvm.image.image import ImageError, open_image
from uvm.runtime.errors import UvmError

COUNTER = "lobby _AddSlots: (| c = (| parent* = traits clonable. n <- 0. bump = (n: n + 1) |) |)"


def test_state_survives_reopening(tmp_path):
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        im.eval(COUNTER)
        im.eval("c bump. c bump")
    assert os.path.exists(path) and os.path.isdir(str(tmp_path / "img.blobs"))
    with uvm.open(path) as im:
        assert im.eval("c n") == 2
        assert im.eval("c bump. c n") == 3


def test_fast_slot_writes_are_saved_in_every_transaction(tmp_path):
    """A call site caches the slot dictionary it writes; each later transaction must
    still mark the object changed, or the write would silently not be saved."""
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        im.eval(COUNTER)
        for _ in range(3):
            im.eval("c bump")
        im.eval("1 to: 10 Do: [| :i | c bump]")
    with uvm.open(path) as im:
        assert im.eval("c n") == 13


def test_a_failed_evaluation_leaves_no_trace(tmp_path):
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        im.eval(COUNTER)
        im.eval("c bump")
        with pytest.raises(UvmError, match="abort"):
            im.eval("c bump. c bump. lobby _AddSlots: (| ghost = 5 |). c n: 99. error: 'abort'")
        # in this process: nothing stale in the connection cache or the lookup caches
        assert im.eval("c n") == 1
        assert im.eval("lobby _SlotNames includes: 'ghost'") is False
        with pytest.raises(UvmError, match="doesNotUnderstand: #ghost"):
            im.eval("ghost")
        assert im.eval("c bump. c n") == 2
    with uvm.open(path) as im:
        assert im.eval("c n") == 2


def test_a_syntax_error_runs_nothing(image):
    image.eval(COUNTER)
    from uvm.syntax import UvmSyntaxError
    with pytest.raises(UvmSyntaxError):
        image.eval("c bump.\nc bump.\n3 + 4 * 5")
    assert image.eval("c n") == 0


def test_memory_images_are_independent():
    with uvm.open(memory=True) as a:
        a.eval("lobby _AddSlots: (| only = 1 |)")
        with uvm.open(memory=True) as b:
            with pytest.raises(UvmError):
                b.eval("only")
        assert a.eval("only") == 1


def test_embedding_api_values(image):
    assert image.eval("3 + 4") == 7
    assert image.eval("'x' , 'y'") == "xy"
    assert image.eval("nil") is None
    lst = image.eval("(1 & 2) asList")
    assert list(lst) == [1, 2]
    assert image.lobby.send("lobby") is image.lobby


def test_garbage_image_file_is_a_clear_error_and_unchanged(tmp_path):
    path = tmp_path / "bad.fs"
    path.write_bytes(b"this is not a FileStorage" * 10)
    before = path.read_bytes()
    with pytest.raises(ImageError, match="cannot open the image"):
        open_image(str(path))
    assert path.read_bytes() == before


HOLD = textwrap.dedent("""
    import sys, time, uvm
    im = uvm.open(sys.argv[1])
    print("ready", flush=True)
    time.sleep(30)
""")


def test_an_image_held_by_another_process_gives_a_clear_message(tmp_path):
    path = str(tmp_path / "held.fs")
    uvm.open(path).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, path], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(ImageError, match="open in another process"):
            open_image(path)
        cli = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", path, "-c", "3"],
                             capture_output=True, text=True, timeout=60)
        assert cli.returncode == 1
        assert "open in another process" in cli.stderr and "Traceback" not in cli.stderr
    finally:
        holder.kill()
        holder.wait()


def test_version_is_recorded(tmp_path):
    path = str(tmp_path / "v.fs")
    with uvm.open(path) as im:
        root = im.connection.root()
        assert root["uvm.version"] == uvm.__version__
        assert root["uvm.core_version"] >= 1
