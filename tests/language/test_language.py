"""Run each tests/language/NAME.uvm in a fresh in-memory image; compare its output.

NAME.out is the expected standard output (absent: none). With NAME.err the program must
fail -- a syntax error (nothing runs) or an uncaught UVM error -- and the error as the
user sees it must contain every line of NAME.err."""
from __future__ import annotations

import os

import pytest

import uvm
from uvm.runtime.errors import UvmError, format_error
from uvm.syntax import UvmSyntaxError

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = sorted(f[:-4] for f in os.listdir(HERE) if f.endswith(".uvm"))


def _read(name: str, ext: str) -> str | None:
    path = os.path.join(HERE, name + ext)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.mark.parametrize("name", CASES)
def test_language_case(name, capsys):
    expected = _read(name, ".out") or ""
    expected_error = _read(name, ".err")
    with uvm.open(memory=True) as image:
        try:
            image.run_file(os.path.join(HERE, name + ".uvm"))
        except UvmSyntaxError as e:
            shown = e.pretty()
        except UvmError as e:
            shown = format_error(e)
        else:
            shown = None
    assert capsys.readouterr().out == expected
    if expected_error is None:
        assert shown is None, shown
    else:
        assert shown is not None, "the program should have failed"
        for line in expected_error.splitlines():
            assert line.strip() in shown, shown
        assert "Traceback" not in shown
