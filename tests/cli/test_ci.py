"""``.ci/run`` installs what the tests need and fails -- never skips -- when it cannot:
run with stand-ins for apt-get and make on a PATH without Graphviz or PostgreSQL."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.fixture
def machine(tmp_path):
    """A PATH holding only stand-ins; apt-get's behaviour is chosen per test."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f"#!/bin/bash\necho \"make $* UVM_REQUIRE=$UVM_REQUIRE\" "
                                  f">> {tmp_path / 'log'}\n")

    def run(apt_get: str):
        (bin_dir / "apt-get").write_text(f"#!/bin/bash\necho \"apt-get $*\" >> {tmp_path / 'log'}\n"
                                         + apt_get)
        for f in bin_dir.iterdir():
            f.chmod(0o755)
        env = {"PATH": str(bin_dir), "PYTHON": sys.executable, "HOME": str(tmp_path),
               "UVM_PG_PREFIX": str(tmp_path / "no-postgresql")}
        p = subprocess.run(["/bin/bash", os.path.join(REPO, ".ci", "run")], cwd=tmp_path,
                           env=env, capture_output=True, text=True, timeout=60)
        log = (tmp_path / "log").read_text() if (tmp_path / "log").exists() else ""
        return p, log
    return run, bin_dir


def test_ci_fails_when_postgresql_and_graphviz_cannot_be_installed(machine):
    run, _ = machine
    p, log = run("[[ $1 == install ]] && exit 100\nexit 0\n")
    assert p.returncode == 1
    assert "could not install graphviz postgresql" in p.stderr
    assert "make" not in log.replace("apt-get", "")


def test_ci_fails_when_an_install_leaves_a_program_missing(machine):
    run, _ = machine
    p, log = run("exit 0\n")                         # "succeeds" and installs nothing
    assert p.returncode == 1 and "still missing" in p.stderr
    assert "make test" not in log


def test_ci_installs_then_runs_the_tests_requiring_those_programs(machine):
    run, bin_dir = machine
    installs = "".join(f"/bin/cp {bin_dir / 'make'} {bin_dir / name}\n"
                       for name in ("dot", "initdb"))
    p, log = run(f"if [[ $1 == install ]]; then\n{installs}fi\n")
    assert p.returncode == 0, p.stderr
    assert "install -y -qq --no-install-recommends graphviz postgresql" in log
    assert log.strip().endswith("make test UVM_REQUIRE=dot,postgresql")
