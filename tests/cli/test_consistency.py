"""The command line behaves the same way everywhere: ``--help`` lists the subcommands,
global options may come before a subcommand, object paths may have spaces, "did you mean"
needs no model, and a closed pipe ends a run quietly."""
from __future__ import annotations

import subprocess
import sys

import pytest

from uvm.cli import SUBCOMMANDS


def uvm(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def image(tmp_path):
    path = str(tmp_path / "c.fs")
    p = uvm("--image", path, "-c", "lobby _AddSlots: (| point = (| parent* = traits clonable. "
                                   "x <- 3 |) |)")
    assert p.returncode == 0, p.stderr
    return path


def test_help_lists_every_subcommand():
    shown = uvm("--help").stdout
    for name, (_, summary) in SUBCOMMANDS.items():
        assert f"  {name}" in shown and summary in shown


def test_global_options_before_a_subcommand(image):
    after = uvm("history", "--image", image)
    before = uvm("--image", image, "history")
    assert before.returncode == 0, before.stderr
    assert before.stdout == after.stdout and "_AddSlots" in before.stdout
    assert uvm(f"--image={image}", "fileout", "point").stdout == uvm("fileout", "point",
                                                                     "--image", image).stdout
    shown = uvm("--image", image, "--no-llm", "methods")
    assert (shown.returncode, shown.stdout.strip()) == (0, "no model-written methods")
    bad = uvm("--llm", "nonsense:x", "--image", image, "history")
    assert bad.returncode == 2 and "unknown language-model backend" in bad.stderr


def test_memory_before_a_subcommand(tmp_path):
    p = uvm("--memory", "fileout", "traits", "integer", cwd=tmp_path)
    assert p.returncode == 0 and "factorial" in p.stdout
    assert uvm("--memory", "serve", cwd=tmp_path).returncode == 1
    assert list(tmp_path.iterdir()) == []        # no ./live_image.fs was made


def test_fileout_takes_a_path_with_spaces_like_methods(image):
    spaced = uvm("fileout", "traits", "integer", "--image", image)
    dotted = uvm("fileout", "traits.integer", "--image", image)
    assert spaced.returncode == 0, spaced.stderr
    assert spaced.stdout == dotted.stdout and "factorial" in spaced.stdout


def test_did_you_mean_without_a_model():
    p = uvm("--memory", "--no-llm", "-c", "3 factorail")
    assert p.returncode == 1
    assert "doesNotUnderstand: #factorail, sent to 3 (did you mean #factorial?)" in p.stderr
    assert "did you mean" not in uvm("--memory", "--no-llm", "-c", "3 zork").stderr


def closed_pipe(args, cwd=None):
    """Run ``uvm ARGS | head -1``: (uvm's exit status, head's output, uvm's stderr)."""
    uvm_proc = subprocess.Popen([sys.executable, "-m", "uvm.cli", *args], cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-1"], stdin=uvm_proc.stdout, stdout=subprocess.PIPE)
    uvm_proc.stdout.close()          # only head reads it now
    first = head.communicate(timeout=120)[0].decode()
    err = uvm_proc.stderr.read().decode()
    return uvm_proc.wait(timeout=120), first, err


def test_a_closed_pipe_ends_a_program_quietly():
    status, first, err = closed_pipe(["--memory", "-c", "1 to: 50000 Do: [| :i | i printLine]"])
    assert first == "1\n" and err == "" and status == 1


def test_a_closed_pipe_ends_a_listing_quietly(image):
    for args in (["methods", "--image", image, "--json"], ["history", "--image", image],
                 ["fileout", "traits", "integer", "--image", image], ["--help"]):
        status, first, err = closed_pipe(args)
        assert first and err == "", (args, err)
