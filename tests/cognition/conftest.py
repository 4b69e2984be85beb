"""The embedded model, loaded once for the tools tests that run it (its derived form is
cached in a temporary folder for the session)."""
from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def embedded_backend(tmp_path_factory):
    old = os.environ.get("UVM_CACHE_DIR")
    os.environ["UVM_CACHE_DIR"] = str(tmp_path_factory.mktemp("uvm-cache"))
    from uvm.llm.settings import make_backend
    backend = make_backend("embedded", None)
    backend.load()
    yield backend
    backend.close()
    if old is None:
        os.environ.pop("UVM_CACHE_DIR", None)
    else:
        os.environ["UVM_CACHE_DIR"] = old
