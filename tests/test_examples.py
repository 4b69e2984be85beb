"""Every program in examples/ runs and prints what its comment promises."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
EXPECTED = {
    "hello.uvm": "Hello from UVM\n",
    "bank.uvm": "bank with 100 after 1 deposits\n",
    "shapes.uvm": "square of area 9\nround circle of area 12.57\n",
    "primes.uvm": "list(2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59)\n",
}


def test_every_example_is_checked():
    assert sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".uvm")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name):
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", os.path.join(EXAMPLES, name)],
                       capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stdout, p.stderr) == (0, EXPECTED[name], "")
