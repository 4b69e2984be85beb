"""Bad input files and bad image paths, run as a real ``uvm`` process: each is one line of
UVM error on standard error, exit status 1, no traceback and the image unchanged."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import uvm


def uvm_run(*args, stdin: bytes | None = None, cwd=None):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], input=stdin, cwd=cwd,
                          capture_output=True, timeout=120)


def one_line_error(p, *needles: str) -> str:
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == 1, err
    assert "Traceback" not in err and "Error in tpc_abort" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    for needle in needles:
        assert needle in err, err
    return err


@pytest.fixture
def image_file(tmp_path):
    """An image with one slot; returns (path, a function giving its bytes)."""
    path = str(tmp_path / "img.fs")
    assert uvm_run("--image", path, "-c", "lobby _AddSlots: (| v <- 1 |)").returncode == 0
    return path, lambda: open(path, "rb").read()


LATIN1 = "'caf\xe9' printLine. v: 2.\n".encode("latin-1")
UTF16 = "v: 2. 'hi' printLine.\n".encode("utf-16")      # starts with the byte-order mark


@pytest.mark.parametrize("data, needle", [(LATIN1, "not UTF-8 text (byte 0xe9)"),
                                          (UTF16, "UTF-16 text")])
def test_a_script_that_is_not_utf8_is_one_error_and_changes_nothing(tmp_path, image_file, data, needle):
    path, contents = image_file
    script = tmp_path / "bad.uvm"
    script.write_bytes(data)
    before = contents()
    one_line_error(uvm_run("--image", path, str(script)), needle, "bad.uvm:1:")
    one_line_error(uvm_run("--check", str(script)), needle)      # --check agrees
    one_line_error(uvm_run("filein", "--image", path, str(script)), needle)
    assert contents() == before
    assert uvm_run("--image", path, "-p", "v").stdout == b"1\n"


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    script = tmp_path / "bom.uvm"
    script.write_bytes(b"\xef\xbb\xbf(3 + 4) printLine.\n")
    p = uvm_run("--memory", str(script))
    assert (p.returncode, p.stdout) == (0, b"7\n")
    assert uvm_run("--check", str(script)).returncode == 0


def test_invalid_utf8_on_standard_input(image_file):
    path, contents = image_file
    before = contents()
    one_line_error(uvm_run("--image", path, "-", stdin=LATIN1), "<stdin>:1:5", "not UTF-8")
    assert contents() == before


def test_invalid_utf8_in_the_repl_input_and_in_c(image_file):
    path, contents = image_file
    before = contents()
    p = uvm_run("--image", path, stdin=LATIN1 + b"v + 10\n")    # the plain REPL goes on
    assert b"not UTF-8" in p.stderr and b"Traceback" not in p.stderr
    assert p.stdout.splitlines()[-1] == b"11"
    one_line_error(uvm_run("--image", path, "-c", os.fsdecode(LATIN1)), "<-c>", "not UTF-8")
    assert contents() == before


def test_a_lone_surrogate_in_an_evaluations_source_does_not_break_its_commit(tmp_path):
    """``Image.run`` records whatever source text it is given in the history: text Python
    made of undecodable bytes (lone surrogates) must not break the commit."""
    from uvm.runtime.compiler import compile_program
    from uvm.syntax import parse
    path = str(tmp_path / "s.fs")
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| v <- 1 |)")
        code = compile_program(parse("v: 2"))
        im.run(lambda: code(im.lobby), "v: 2 \"caf\udce9\"", "api")
        assert im.eval("v") == 2
        assert im.history(1)[0].source.startswith("v: 2")


def test_an_image_path_that_is_a_directory(tmp_path):
    folder = tmp_path / "folder.fs"
    folder.mkdir()
    one_line_error(uvm_run("--image", str(folder), "-c", "1"), "is a directory")
    one_line_error(uvm_run("history", "--image", str(folder)), "is a directory")
    assert os.listdir(folder) == []


@pytest.mark.parametrize("content", [b"", b"FS21"])
def test_an_empty_or_header_only_file_is_refused_not_bootstrapped(tmp_path, content):
    path = tmp_path / "hollow.fs"
    path.write_bytes(content)
    one_line_error(uvm_run("--image", str(path), "-c", "1"), "it is empty")
    one_line_error(uvm_run("history", "--image", str(path)), "it is empty")
    assert path.read_bytes() == content
    assert not (tmp_path / "hollow.blobs").exists()


def test_an_image_is_created_only_where_no_file_exists(tmp_path):
    path = tmp_path / "fresh.fs"
    p = uvm_run("--image", str(path), "-p", "3 + 4")
    assert (p.returncode, p.stdout) == (0, b"7\n")
    assert not [n for n in os.listdir(tmp_path) if ".new-" in n]   # no temporary file left
    with uvm.open(str(path)) as im:
        assert [e.origin for e in im.history()] == ["bootstrap"]


def test_concurrent_processes_creating_one_image_all_get_the_same_world(tmp_path):
    path = str(tmp_path / "race.fs")
    procs = [subprocess.Popen([sys.executable, "-m", "uvm.cli", "--image", path, "-c",
                               "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    errors = [err.decode() for p, (_, err) in zip(procs, results) if p.returncode != 0]
    # a loser of the race may find the winner holding the image: that is the lock's message
    assert all("open in another process" in e for e in errors), errors
    assert len(errors) < 4
    with uvm.open(path) as im:
        assert [e.origin for e in im.history()] == ["bootstrap"]
    assert not [n for n in os.listdir(tmp_path) if ".new-" in n]


def test_a_zodb_file_without_a_world_is_refused(tmp_path):
    import ZODB
    from ZODB.FileStorage import FileStorage
    path = str(tmp_path / "other.fs")
    db = ZODB.DB(FileStorage(path))           # another program's database: root only
    db.close()
    os.makedirs(tmp_path / "other.blobs")
    before = open(path, "rb").read()
    one_line_error(uvm_run("--image", path, "-c", "1"), "holds no UVM world")
    assert open(path, "rb").read() == before


def test_the_repls_filein_reads_files_as_a_run_does(tmp_path):
    from uvm.repl.session import Session
    script = tmp_path / "old.uvm"
    script.write_bytes(LATIN1)
    with uvm.open(memory=True) as im:
        shown = Session(im).run(f":filein {script}")
        assert shown.kind == "syntax" and "not UTF-8 text (byte 0xe9)" in shown.error
        assert "Traceback" not in shown.error and "nothing was filed in" in shown.error
