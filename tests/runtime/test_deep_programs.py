"""Deep and long programs (issue 19, items 2 and 5): deep nesting either works or is a
one-line UVM error (never a host traceback), the REPL goes on after one, and compiling is
linear in the program's size -- a 5 MB string literal once peaked at 640 MB."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest

from uvm.repl.plain import run_plain
from uvm.repl.session import Session


def run_uvm(source: str, tmp_path, timeout=300):
    path = tmp_path / "deep.uvm"
    path.write_text(source)
    return subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", "--no-llm", str(path)],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("source, output", [
    ("(" * 10_000 + "42" + ")" * 10_000 + " printLine", "42\n"),
    ("(" + " + ".join(["1"] * 20_000) + ") printLine", "20000\n"),
    ("(| n <- 0 | " + "1 to: 2 Do: [| :i | " * 22 + "n: n + 1" + "]" * 22 + ". n) printLine",
     "4194304\n"),  # 22 nested loops: Python allows 20 in a function, the rest are sends
])
def test_deep_programs_that_work(source, output, tmp_path):
    p = run_uvm(source, tmp_path)
    assert (p.returncode, p.stdout) == (0, output), p.stderr[-1000:]


@pytest.mark.parametrize("source, message", [
    ("(" + "[" * 10_000 + "1" + "]" * 10_000 + ") value printLine",
     "nested more than 90 deep"),
    ("(" * 100_000 + "1" + ")" * 100_000 + " printLine", "nested too deeply to compile"),
])
def test_deep_programs_that_cannot_compile_say_so_in_one_line(source, message, tmp_path):
    p = run_uvm(source, tmp_path)
    assert p.returncode == 1 and p.stdout == ""
    assert message in p.stderr and "Traceback" not in p.stderr, p.stderr[-2000:]
    assert len(p.stderr.strip().splitlines()) <= 3, p.stderr[-2000:]


def test_the_repl_goes_on_after_a_program_too_deep_to_compile(image):
    deep = "(" + "[" * 5_000 + "1" + "]" * 5_000 + ") value"
    out, err = io.StringIO(), io.StringIO()
    run_plain(Session(image), io.StringIO(deep + "\n3 + 4\n"), out, err)
    assert out.getvalue() == "7\n"
    assert "nested more than 90 deep" in err.getvalue() and "Traceback" not in err.getvalue()


def test_an_integer_literal_of_5000_digits_simply_works(tmp_path):
    digits = "7" * 5_000
    p = run_uvm(f"({digits} printString size) printLine. ({digits} - {digits}) printLine",
                tmp_path)
    assert (p.returncode, p.stdout) == (0, "5000\n0\n"), p.stderr[-1000:]


def peak_rss_mb(code: str) -> float:
    probe = ("import resource, runpy, sys\n" + code +
             "\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n")
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return float(p.stdout.split()[-1])


def test_a_5_mb_string_literal_costs_memory_in_proportion():
    """Peak memory, not time: the scanner's string pattern kept regex state per character."""
    base = peak_rss_mb("import uvm; im = uvm.open(memory=True)")
    peak = peak_rss_mb("import uvm; im = uvm.open(memory=True)\n"
                       "assert im.eval(\"'\" + 'x' * (5 * 1024 * 1024) + \"' size\") == 5 * 1024 * 1024")
    assert peak - base < 150, (base, peak)  # 640 MB before; about 35 MB now
