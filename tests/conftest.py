"""Shared fixtures: a fresh in-memory image per test, and the paths of shared material."""
from __future__ import annotations

import os

import pytest

import uvm

# The suite's runs have no language model unless a test asks for one (--llm SPEC, or
# UVM_LLM in the environment it gives a subprocess): the default backend is the embedded
# model, and a doesNotUnderstand: would otherwise ask it to write the method.
os.environ["UVM_LLM"] = "none"

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")


@pytest.fixture
def image():
    with uvm.open(memory=True) as im:
        yield im


@pytest.fixture
def run(image):
    """Evaluate UVM source in the test's image and return the value."""
    return image.eval


def require(name: str, found, package: str) -> None:
    """A test needs a system program: without it (``found`` false) the test is skipped --
    except where ``$UVM_REQUIRE`` names it (CI installs them: ``.ci/run``), where a missing
    program fails the test instead."""
    if found:
        return
    if name in os.environ.get("UVM_REQUIRE", "").split(","):
        pytest.fail(f"{name} is required here ($UVM_REQUIRE) but not installed: "
                    f"apt-get install {package}")
    pytest.skip(f"{name} is not installed (apt-get install {package})")


def require_program(name: str, package: str) -> str:
    """The path of a program on PATH that a test needs (see ``require``)."""
    import shutil
    found = shutil.which(name)
    require(name, found, package)
    return found
