"""Optional: Self's own parser tests and Self's core world, run through the peer runners in
``../shared/peer`` (beside the checkout). Skipped where that folder does not exist; the
conformance cases in ``../shared/conformance`` must parse too (03 must fail on line 1)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from uvm.syntax import UvmSyntaxError, parse

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
PEER = SHARED / "peer"
CONFORMANCE = SHARED / "conformance"


def run_runner(name: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(PEER / name), "--uvm",
                           f"{sys.executable} -m uvm.syntax"],
                          capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.skipif(not (PEER / "run-self-parser-tests").exists(), reason="no ../shared/peer")
def test_self_parser_tests():
    result = run_runner("run-self-parser-tests")
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.strip().splitlines()[-1].endswith(" 0 failed")


@pytest.mark.skipif(not (PEER / "run-self-core-parse").exists(), reason="no ../shared/peer")
def test_self_core_world_parses():
    result = run_runner("run-self-core-parse")
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "138 passed, 0 failed"


def conformance_cases():
    if not CONFORMANCE.is_dir():
        return []
    return sorted(p.name for p in CONFORMANCE.glob("*.uvm"))


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="no ../shared/conformance")
@pytest.mark.parametrize("name", conformance_cases())
def test_conformance_case_parses(name):
    source = (CONFORMANCE / name).read_text(encoding="utf-8")
    if name == "03-mixed-binary.uvm":
        with pytest.raises(UvmSyntaxError) as info:
            parse(source, name)
        assert info.value.line == 1
    else:
        parse(source, name)
