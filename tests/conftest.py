"""Shared fixtures: a fresh in-memory image per test, the paths of shared material, and the
real embedded model, loaded once per session. Its derived-form cache goes to a temporary
folder for the session, so the first load really reads the GGUF from the image's BLOB
(after the file it was imported from is deleted) and writes the cache the later loads read."""
from __future__ import annotations

import json
import os
import shutil
import signal

import pytest

import uvm

# The suite's runs have no language model unless a test asks for one (--llm SPEC, or
# UVM_LLM in the environment it gives a subprocess): the default backend is the embedded
# model, and a doesNotUnderstand: would otherwise ask it to write the method.
os.environ["UVM_LLM"] = "none"

# A suite started in the background by a non-interactive shell (`pytest ... &`) inherits
# SIGINT ignored, and so would every REPL it spawns: the Ctrl-C tests would then test
# nothing but that. They need Python's own handler, as an interactive run or CI has it.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")


def script_file(tmp_path, *answers, name="answers.jsonl") -> str:
    """A ``script:`` backend's file (the test double): one JSON line per answer, in order."""
    path = tmp_path / name
    path.write_text("".join(json.dumps({"text": a}) + "\n" for a in answers))
    return str(path)


@pytest.fixture
def image():
    with uvm.open(memory=True) as im:
        yield im


@pytest.fixture
def run(image):
    """Evaluate UVM source in the test's image and return the value."""
    return image.eval


@pytest.fixture(scope="session")
def llm_cache(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("uvm-cache"))
    old = os.environ.get("UVM_CACHE_DIR")
    os.environ["UVM_CACHE_DIR"] = path
    yield path
    if old is None:
        os.environ.pop("UVM_CACHE_DIR", None)
    else:
        os.environ["UVM_CACHE_DIR"] = old


@pytest.fixture(scope="session")
def awake(tmp_path_factory, llm_cache):
    """(image, backend): a FileStorage image awakened from a copy of the embedded GGUF
    that was deleted afterwards, with the four bundled personas; the backend is loaded."""
    from uvm.llm.pllm import awaken, embedded_model_file
    from uvm.llm.settings import make_backend
    folder = tmp_path_factory.mktemp("awake")
    copy = folder / "copy-of-smollm2.gguf"
    shutil.copyfile(embedded_model_file(), copy)
    image = uvm.open(str(folder / "live_image.fs"))
    awaken(image, str(copy))
    os.unlink(copy)
    backend = make_backend("embedded", image)
    backend.load()
    yield image, backend
    backend.close()
    image.close()


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
