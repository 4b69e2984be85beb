"""What ZODB's own logger and warnings would print on standard error -- an index that
cannot be saved, a commit on a full disk, a record over 16 MB -- stays off the terminal:
the user sees at most one UVM line, and the image is unchanged or committed whole."""
from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys

import uvm


def uvm_run(*args, preexec_fn=None):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True,
                          text=True, timeout=300, preexec_fn=preexec_fn)


def test_an_index_that_cannot_be_saved_is_not_an_error(tmp_path):
    path = str(tmp_path / "i.fs")
    assert uvm_run("--image", path, "-c", "lobby _AddSlots: (| v <- 1 |)").returncode == 0
    os.mkdir(path + ".index.index_tmp")   # where FileStorage writes its index: now it cannot
    for code in ("v: 2", "v: v + 1"):    # saved on close; then, with none, on open too
        p = uvm_run("--image", path, "-c", code)
        assert p.returncode == 0 and "Traceback" not in p.stderr
        assert p.stderr.startswith("uvm: cannot save the index of ") and p.stderr.count("\n") == 1
        if os.path.exists(path + ".index"):
            os.remove(path + ".index")
    assert not os.path.exists(path + ".index")
    assert uvm_run("--image", path, "-p", "v").stdout == "3\n"


def test_a_commit_on_a_full_disk_is_one_error_and_changes_nothing(tmp_path):
    from ZODB.scripts.fstest import check
    path = str(tmp_path / "d.fs")
    assert uvm_run("--image", path, "-c", "lobby _AddSlots: (| v <- 1. s <- '' |)").returncode == 0
    limit = os.path.getsize(path) + 4096

    def small_disk():  # a file may not grow past `limit` bytes: writes fail as on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    before = open(path, "rb").read()
    p = uvm_run("--image", path, "-c", "v: 2. s: 'x'. 1 to: 16 Do: [| :i | s: s , s]",
                preexec_fn=small_disk)
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    assert p.stderr.count("\n") <= 3 and "nothing of this evaluation was committed" in p.stderr
    assert "tpc_abort" not in p.stderr
    assert open(path, "rb").read() == before
    check(path)
    assert uvm_run("--image", path, "-p", "v").stdout == "1\n"


def test_a_record_over_16_mb_commits_without_a_host_warning(tmp_path):
    path = str(tmp_path / "big.fs")
    p = uvm_run("--image", path, "-c",
                "lobby _AddSlots: (| s <- 'x' |). 1 to: 25 Do: [| :i | s: s , s]")
    assert (p.returncode, p.stderr) == (0, "")
    with uvm.open(path) as im:
        assert im.eval("s size") == 2 ** 25
