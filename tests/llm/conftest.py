"""Fixtures for the language-model tests.

The real embedded model is loaded once per session. The derived-form cache goes to a
temporary folder for the session, so the first load really reads the GGUF from the image's
BLOB (after the file it was imported from is deleted) and writes the cache that the later
loads read."""
from __future__ import annotations

import os
import shutil

import pytest

import uvm


def _have_ml() -> bool:
    try:
        import peft  # noqa: F401
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError:
        return False
    return True


needs_ml = pytest.mark.skipif(not _have_ml() and not os.environ.get("CI"),
                              reason="the llm extra is not installed (make test installs it)")


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


@pytest.fixture(autouse=True)
def _forget_the_run_setting():
    yield
    from uvm.llm import settings
    settings._run_spec = None
    settings._run_record = None
    settings._backends.clear()
