"""Run each tests/language/NAME.uvm in a fresh in-memory image; compare its output."""
from __future__ import annotations

import os

import pytest

import uvm

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = sorted(f[:-4] for f in os.listdir(HERE) if f.endswith(".uvm"))


@pytest.mark.parametrize("name", CASES)
def test_language_case(name, capsys):
    with open(os.path.join(HERE, name + ".out"), encoding="utf-8") as f:
        expected = f.read()
    with uvm.open(memory=True) as image:
        image.run_file(os.path.join(HERE, name + ".uvm"))
    assert capsys.readouterr().out == expected
