"""A damaged image file, byte by byte: a flipped byte in the latest record names the object
that cannot be read, the evaluation that wrote it and what to do; nothing is changed, and
undoing that evaluation brings the image back."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import uvm
from uvm.image.image import ImageError
from uvm.runtime.errors import UvmError


def uvm_run(*args):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True,
                          text=True, timeout=120)


def last_transaction(path: str) -> tuple[int, int, list[tuple[bytes, bytes]]]:
    """(header position, end, [(oid, pickle)]) of the file's last transaction."""
    from ZODB.FileStorage import FileStorage
    data = open(path, "rb").read()
    start = len(data) - 8 - int.from_bytes(data[-8:], "big")
    fs = FileStorage(path, read_only=True)
    try:
        for txn in fs.iterator():
            records = [(r.oid, r.data) for r in txn]
    finally:
        fs.close()
    return start, len(data), records


@pytest.fixture
def image(tmp_path):
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| c = (| n <- 0. name <- 'counter' |) |)")
        im.eval("c n: 5. c name: 'hello world'")
    if os.path.exists(path + ".index"):
        os.remove(path + ".index")      # as after a copy that left the index behind
    return path


def flip(path: str, at: int) -> bytes:
    data = bytearray(open(path, "rb").read())
    data[at] ^= 0xFF
    open(path, "wb").write(data)
    return bytes(data)


def test_a_flipped_byte_in_the_latest_record_says_what_and_what_to_do(image):
    start, _, records = last_transaction(image)
    (oid, pickle), = records
    data = open(image, "rb").read()
    damaged = flip(image, data.index(pickle, start) + len(pickle) // 10)
    with uvm.open(image) as im:
        wrote = im.history(1)[0]
    p = uvm_run("--image", image, "-p", "c n")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    first = p.stderr.splitlines()[0]
    assert first.startswith(f"Error: the image is damaged: object 0x{int.from_bytes(oid, 'big'):02x} "
                            "cannot be read")
    assert f"last written by evaluation {wrote.id}" in first and "c n: 5" in first
    assert f"`uvm undo {wrote.id}`" in first and "restore the image from a copy" in first
    assert "Couldn't load state" not in p.stderr       # ZODB's own log stays off the terminal
    assert open(image, "rb").read() == damaged
    assert uvm_run("history", "--image", image).returncode == 0
    assert uvm_run("undo", wrote.id, "--image", image).returncode == 0   # what it advised
    assert uvm_run("--image", image, "-p", "c n").stdout == "0\n"


def test_every_flipped_byte_of_the_last_transaction_is_a_uvm_error_or_harmless(image):
    """No flip anywhere in the last transaction -- header, note, metadata or data -- makes
    opening, evaluating or listing the history fail with a host error."""
    start, end, _ = last_transaction(image)
    pristine = open(image, "rb").read()
    kinds = set()
    for at in range(start, end):
        with open(image, "wb") as f:
            f.write(pristine[:at] + bytes([pristine[at] ^ 0xFF]) + pristine[at + 1:])
        if os.path.exists(image + ".index"):
            os.remove(image + ".index")
        try:
            with uvm.open(image) as im:
                value = im.eval("c n")
                im.history(5)
            kinds.add("ok" if value in (0, 5) else "changed value")
        except ImageError as e:
            kinds.add("refused")
            assert "damaged" in str(e) or "truncated" in str(e), str(e)
        except UvmError as e:
            kinds.add("damaged object")
            assert str(e).startswith("the image is damaged"), str(e)
    assert {"refused", "damaged object", "ok"} <= kinds


def test_a_last_transaction_dated_before_the_one_it_follows_is_refused(image):
    """FileStorage would only log a time-stamp reduction and serve the world as of that
    earlier date, hiding committed evaluations; the image is refused instead."""
    start, end, _ = last_transaction(image)
    data = open(image, "rb").read()
    previous = start - 8 - int.from_bytes(data[start - 8:start], "big")
    damaged = data[:start] + data[previous:previous + 8] + data[start + 8:]
    open(image, "wb").write(damaged)
    with pytest.raises(ImageError, match="dated before the one it follows"):
        uvm.open(image)
    assert open(image, "rb").read() == damaged
