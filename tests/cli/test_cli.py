"""The `uvm` command, run as a real process: exit codes, streams, locations."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest


def uvm(*args, stdin=None, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=env)


def test_print_value():
    p = uvm("--memory", "-p", "3 + 4")
    assert (p.returncode, p.stdout, p.stderr) == (0, "7\n", "")


def test_run_string_prints_only_what_the_program_prints():
    p = uvm("--memory", "-c", "'hi' printLine. 42")
    assert (p.returncode, p.stdout) == (0, "hi\n")


def test_script_and_arguments(tmp_path):
    script = tmp_path / "s.uvm"
    script.write_text("((python import: 'sys') argv) printLine.\n")
    p = uvm("--memory", str(script), "a", "b")
    assert p.returncode == 0
    assert p.stdout.strip() == f"list('{script}', 'a', 'b')"


def test_stdin_program():
    p = uvm("--memory", "-", stdin="(6 * 7) printLine.\n")
    assert (p.returncode, p.stdout) == (0, "42\n")


def test_runtime_error_exit_1_with_uvm_location(tmp_path):
    script = tmp_path / "bad.uvm"
    script.write_text("'before' printLine.\n\n   nil frobnicate.\n'after' printLine.\n")
    p = uvm("--memory", str(script))
    assert p.returncode == 1
    assert p.stdout == "before\n"
    assert "doesNotUnderstand: #frobnicate" in p.stderr
    assert f"{script}:3:8" in p.stderr  # at the selector
    assert "Traceback" not in p.stderr


def test_debug_shows_the_python_traceback():
    p = uvm("--memory", "--debug", "-c", "nil frobnicate")
    assert p.returncode == 1 and "Traceback" in p.stderr


def test_syntax_error_exit_1_with_caret(tmp_path):
    script = tmp_path / "syn.uvm"
    script.write_text("'never' printLine.\n3 + 4 * 7.\n")
    p = uvm("--memory", str(script))
    assert p.returncode == 1 and p.stdout == ""
    assert f"{script}:2:" in p.stderr and "^" in p.stderr


def test_check_only_parses(tmp_path):
    good, bad = tmp_path / "g.uvm", tmp_path / "b.uvm"
    good.write_text("nil frobnicate.\n")
    bad.write_text("(| a = |)\n")
    assert uvm("--check", str(good)).returncode == 0
    p = uvm("--check", str(bad))
    assert p.returncode == 1 and "b.uvm:1:" in p.stderr


def test_bad_usage_exit_2(tmp_path):
    assert uvm("no-such-command").returncode == 2
    assert uvm("missing.uvm").returncode == 2
    assert uvm("--no-such-flag").returncode == 2
    assert uvm("-c", "1", "-p", "2").returncode == 2


def test_version_and_help():
    import uvm as package
    assert uvm("--version").stdout.strip() == f"uvm {package.__version__}"
    assert "--image" in uvm("--help").stdout


def test_default_image_and_env_var(tmp_path):
    p = uvm("-c", "lobby _AddSlots: (| mark = 7 |)", cwd=tmp_path)
    assert p.returncode == 0 and (tmp_path / "live_image.fs").exists()
    assert uvm("-p", "mark", cwd=tmp_path).stdout == "7\n"
    env = dict(os.environ, UVM_IMAGE=str(tmp_path / "other.fs"))
    assert uvm("-p", "lobby _SlotNames includes: 'mark'", cwd=tmp_path, env=env).stdout == "false\n"
    assert (tmp_path / "other.fs").exists()


def test_failed_script_changes_nothing(tmp_path):
    img = str(tmp_path / "i.fs")
    uvm("--image", img, "-c", "lobby _AddSlots: (| v <- 1 |)")
    p = uvm("--image", img, "-c", "v: 2. error: 'stop'")
    assert p.returncode == 1 and "stop" in p.stderr
    assert uvm("--image", img, "-p", "v").stdout == "1\n"


@pytest.mark.parametrize("code", ["", "   ", "\"just a comment\""])
def test_empty_programs(code):
    assert uvm("--memory", "-c", code).returncode == 0


def test_repl_reads_inputs_until_end_of_file():
    p = uvm("--memory", stdin="(| x <- 3 |\n  x * 2)\nnil zork\n'still here' printLine\n")
    assert p.returncode == 0
    assert "6" in p.stdout and "still here" in p.stdout
    assert "doesNotUnderstand: #zork" in p.stderr


def test_interactive_after_script(tmp_path):
    script = tmp_path / "s.uvm"
    script.write_text("lobby _AddSlots: (| answer = 42 |).\n")
    p = uvm("--memory", "-i", str(script), stdin="answer + 1\n")
    assert p.returncode == 0 and "43" in p.stdout


def test_interactive_opens_even_after_the_script_fails(tmp_path):
    script = tmp_path / "bad.uvm"
    script.write_text("lobby _AddSlots: (| answer = 42 |).\nnil zork.\n")
    p = uvm("--memory", "-i", str(script), stdin="3 + 4\n")
    assert "doesNotUnderstand: #zork" in p.stderr
    assert "7" in p.stdout


def test_fileout_of_an_inherited_global(tmp_path):
    img = str(tmp_path / "g.fs")
    assert uvm("--image", img, "-c", "python _AddSlots: (| extra = 1 |)").returncode == 0
    p = uvm("fileout", "python", "--image", img)
    assert p.returncode == 0, p.stderr
    assert "globals python _AddSlots:" in p.stdout and "extra = 1." in p.stdout
