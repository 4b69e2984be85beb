"""Crash safety and bad input, for real: SIGKILL in the middle of commits, damaged files."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import uvm
from uvm.image.image import ImageError, open_image

LOOP = textwrap.dedent("""
    import sys, uvm
    with uvm.open(sys.argv[1]) as im:
        while True:
            n = im.eval("c n: c n + 1. log add: c n. c n", origin="script")
            print(n, flush=True)
""")


def make_image(path: str) -> None:
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| c = (| n <- 0 |). log <- list copy |)")


def fstest(path: str) -> None:
    from ZODB.scripts.fstest import check
    check(path)  # raises FormatError on a damaged file


def test_sigkill_during_commits_never_loses_or_splits_an_evaluation(tmp_path):
    path = str(tmp_path / "torture.fs")
    make_image(path)
    rng = random.Random(1234)
    reported = 0
    kills = 12
    for _ in range(kills):
        proc = subprocess.Popen([sys.executable, "-c", LOOP, path], stdout=subprocess.PIPE, text=True)
        want = rng.randint(1, 25)
        for _ in range(want):
            line = proc.stdout.readline()
            if not line:
                break
            reported = int(line)
        time.sleep(rng.random() * 0.02)  # land the kill anywhere in the next commit
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for line in proc.stdout.read().splitlines():
            reported = max(reported, int(line))
    fstest(path)
    with uvm.open(path) as im:
        n = im.eval("c n")
        assert n == im.eval("log size")                    # no partial evaluation
        assert im.eval("log last") == n
        assert reported <= n <= reported + kills            # no lost commit
        assert im.eval("c n: c n + 1. c n") == n + 1         # and it still works
    fstest(path)


def damaged_copy(tmp_path, name: str) -> str:
    path = str(tmp_path / f"{name}.fs")
    make_image(path)
    with uvm.open(path) as im:
        for i in range(5):
            im.eval(f"log add: {i}")
    return path


def assert_refused_unchanged(path: str, message: str) -> None:
    before = open(path, "rb").read()
    with pytest.raises(ImageError, match=message):
        open_image(path)
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", path, "-c", "1"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and message.split()[0] in p.stderr and "Traceback" not in p.stderr
    assert open(path, "rb").read() == before


def test_truncated_image_is_refused_and_unchanged(tmp_path):
    path = damaged_copy(tmp_path, "cut")
    for suffix in (".index",):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 40)  # inside the last committed transaction
    assert_refused_unchanged(path, "truncated or damaged")


def test_garbage_image_is_refused_and_unchanged(tmp_path):
    path = str(tmp_path / "garbage.fs")
    with open(path, "wb") as f:
        f.write(os.urandom(5000))
    assert_refused_unchanged(path, "not a UVM image")


def test_missing_blob_directory_is_refused(tmp_path):
    path = damaged_copy(tmp_path, "noblobs")
    shutil.rmtree(str(tmp_path / "noblobs.blobs"))
    assert_refused_unchanged(path, "lost its blob directory")
    assert not os.path.exists(str(tmp_path / "noblobs.blobs"))
