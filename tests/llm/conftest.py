"""Fixtures for the language-model tests (the real embedded model's, ``llm_cache`` and
``awake``, are in tests/conftest.py: the mind's tests share them)."""
from __future__ import annotations

import os

import pytest


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


@pytest.fixture(autouse=True)
def _forget_the_run_setting():
    yield
    from uvm.llm import settings
    settings._run_spec = None
    settings._run_record = None
    settings._backends.clear()
