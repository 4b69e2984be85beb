"""How UVM is installed: the extras the code needs, the Makefile's switches for a CPU-only
torch and for the GPU path, and the README saying how to use them."""
from __future__ import annotations

import inspect
import os
import shutil
import subprocess
import tomllib

import pytest

from tests.conftest import REPO


def pyproject() -> dict:
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)


def make_dry_run(*variables: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    p = subprocess.run(["make", "-n", "-B", "install", *variables], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_the_cuda_extra_has_what_the_nf4_path_imports():
    from uvm.llm import model
    nf4 = inspect.getsource(model)   # the hf: loader and its NF4 branch
    cuda = " ".join(pyproject()["project"]["optional-dependencies"]["cuda"])
    assert "import bitsandbytes" in nf4 and "bitsandbytes" in cuda
    assert "device_map" in nf4 and "accelerate" in cuda      # transformers needs it for that
    assert "torch" not in cuda           # the GPU build of torch comes from PyPI's default


def test_make_install_takes_a_cpu_torch_index_and_extras():
    plain = make_dry_run()
    assert "--index-url" not in plain and "'.[test,llm,memory,plot]'" in plain
    cpu = make_dry_run("TORCH_INDEX=https://download.pytorch.org/whl/cpu", "EXTRAS=cuda")
    assert "--index-url https://download.pytorch.org/whl/cpu 'torch==2.13.0'" in cpu
    assert cpu.index("--index-url") < cpu.index("-e '.[test,llm,memory,plot,cuda]'")


def test_the_readme_says_how():
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    assert "make install TORCH_INDEX=https://download.pytorch.org/whl/cpu" in readme
    assert "EXTRAS=cuda" in readme and "'.[llm,cuda]'" in readme


def test_a_wheel_carries_every_bundled_adapter_and_the_method_writers_training_answers():
    """The package data globs cover each file in uvm/llm/adapters: without its training
    answers beside it, the method writer could not be checked against the benchmark."""
    import fnmatch
    globs = pyproject()["tool"]["setuptools"]["package-data"]["uvm.llm"]
    folder = os.path.join(REPO, "uvm", "llm", "adapters")
    files = sorted(os.listdir(folder))
    assert "methods.safetensors" in files and "methods.sources.jsonl.gz" in files
    for name in files:
        assert any(fnmatch.fnmatch(f"adapters/{name}", g) for g in globs), name
