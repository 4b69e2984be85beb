"""Fixtures for the mind's and the tools' tests: a run whose backend is a script (the test
double) or the real embedded model (loaded once, its derived form cached in a temporary
folder for the session), forgotten after each test."""
from __future__ import annotations

import os

import pytest

from tests.conftest import script_file
from uvm.llm import settings
from uvm.llm.synthesis import pipeline


@pytest.fixture
def scripted(tmp_path):
    """scripted(image, *answers): the run's backend becomes a script of these answers, and
    doesNotUnderstand synthesis is installed for ``image``; returns the backend."""
    def make(image, *answers):
        settings.configure_run("script:" + script_file(tmp_path, *answers))
        pipeline.install(image)
        return settings.backend_for(image)
    return make


@pytest.fixture(autouse=True)
def _forget_the_run():
    yield
    pipeline.uninstall()
    settings._run_spec = None
    settings._run_record = None
    settings._backends.clear()


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
