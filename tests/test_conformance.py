"""The shared conformance cases (../shared/conformance), run by their own runner against
this checkout's `uvm` command. Skipped where the shared folder is absent."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import SHARED

RUNNER = os.path.join(SHARED, "conformance", "run")


@pytest.mark.skipif(not os.path.exists(RUNNER), reason="../shared/conformance is not here")
def test_conformance_cases_pass():
    uvm = f"{sys.executable} -m uvm.cli"
    p = subprocess.run([sys.executable, RUNNER, "--uvm", uvm], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip().splitlines()[-1].endswith(" 0 failed")
