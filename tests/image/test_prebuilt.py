"""The prebuilt core world that throw-away images start from: used instead of filing the
stdlib in again, rebuilt when what built it changes, safe with concurrent processes and a
damaged or unwritable cache; and what a ``-c`` run does not import."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

import uvm
from tests.conftest import REPO
from uvm.image import bootstrap, prebuilt


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("UVM_CACHE_DIR", str(folder))
    return folder / "worlds"


def entries(folder) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_the_second_image_starts_from_the_prebuilt_world(cache, monkeypatch):
    with uvm.open(memory=True) as first:
        built = first.eval("(traits integer _SlotNames) size")
        first.eval("lobby _AddSlots: (| mine = 1 |)")      # not part of the world kept
    assert len(entries(cache)) == 1

    def no_rebuild():
        raise AssertionError("the core world was filed in again")
    monkeypatch.setattr("uvm.image.image.build_world", no_rebuild)
    with uvm.open(memory=True) as second:
        assert second.eval("(traits integer _SlotNames) size") == built
        assert second.eval("3 factorial") == 6
        assert second.eval("lobby _SlotNames includes: 'mine'") is False
        second.eval("lobby _AddSlots: (| counter <- 0 |). counter: counter + 1")
        assert second.eval("counter") == 1


def test_the_key_follows_versions_and_every_stdlib_and_runtime_file(tmp_path, monkeypatch):
    package = tmp_path / "uvm"
    for sub in ("stdlib", "runtime", "syntax"):
        shutil.copytree(os.path.join(REPO, "uvm", sub), package / sub)
    (package / "image").mkdir()
    shutil.copy(os.path.join(REPO, "uvm", "image", "bootstrap.py"), package / "image")
    key = prebuilt.world_key(str(package))
    assert prebuilt.world_key(str(package)) == key
    stdlib = sorted((package / "stdlib").glob("*.uvm"))[-1]
    stdlib.write_text(stdlib.read_text() + "\n\"one more comment\"\n")
    assert prebuilt.world_key(str(package)) != key
    key = prebuilt.world_key(str(package))
    compiler = package / "runtime" / "compiler.py"
    compiler.write_text(compiler.read_text() + "\n")
    assert prebuilt.world_key(str(package)) != key
    key = prebuilt.world_key(str(package))
    monkeypatch.setattr(uvm, "__version__", uvm.__version__ + ".post1")
    assert prebuilt.world_key(str(package)) != key
    monkeypatch.setattr(bootstrap, "CORE_VERSION", bootstrap.CORE_VERSION + 1)
    assert prebuilt.world_key(str(package)) != key


def test_a_changed_stdlib_gives_a_world_with_the_change(tmp_path):
    """End to end, in a copy of the package: a stdlib file added after the world was kept
    is in the next throw-away image."""
    copy = tmp_path / "src"
    shutil.copytree(os.path.join(REPO, "uvm"), copy / "uvm",
                    ignore=shutil.ignore_patterns("__pycache__", "adapters", "library"))
    env = dict(os.environ, PYTHONPATH=str(copy), UVM_CACHE_DIR=str(tmp_path / "cache"),
               UVM_LLM="none")
    probe = ("import uvm; assert uvm.__file__.startswith(%r)\n"
             "with uvm.open(memory=True) as im:\n"
             "    print(im.eval(\"traits integer _SlotNames includes: 'marker'\"))" % str(copy))

    def marker_present() -> str:
        p = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path,
                           capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()
    assert marker_present() == "False"
    assert marker_present() == "False"                     # from the kept world
    (copy / "uvm" / "stdlib" / "99-marker.uvm").write_text(
        "traits integer _AddSlots: (| marker = 42 |).\n")
    assert marker_present() == "True"
    assert len(os.listdir(tmp_path / "cache" / "worlds")) == 2


def test_processes_starting_together_with_an_empty_cache(tmp_path):
    env = dict(os.environ, UVM_CACHE_DIR=str(tmp_path / "cache"), UVM_LLM="none")
    procs = [subprocess.Popen([sys.executable, "-m", "uvm.cli", "--memory", "-p", "3 + 4"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(6)]
    results = [p.communicate(timeout=300) for p in procs]
    assert [(p.returncode, out) for p, (out, _) in zip(procs, results)] == [(0, "7\n")] * 6
    names = os.listdir(tmp_path / "cache" / "worlds")
    assert len(names) == 1 and names[0].startswith("world-")   # no temporary file left
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", "-p", "3 factorial"],
                       env=env, capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stdout) == (0, "6\n")


def test_a_damaged_entry_is_rebuilt(cache):
    with uvm.open(memory=True):
        pass
    entry = cache / entries(cache)[0]
    good = entry.read_bytes()
    entry.write_bytes(good[: len(good) // 2])             # cut short, as by a full disk
    with uvm.open(memory=True) as im:
        assert im.eval("3 factorial") == 6
    assert entry.read_bytes() != good[: len(good) // 2]
    assert prebuilt.load(prebuilt.world_key()) is not None


def test_no_writable_cache_still_works(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("UVM_CACHE_DIR", str(blocker))
    with uvm.open(memory=True) as im:
        assert im.eval("3 factorial") == 6


MODULES = ("import sys, runpy\nsys.argv = ['uvm'] + sys.argv[1:]\n"
           "try:\n    runpy.run_module('uvm.cli', run_name='__main__')\n"
           "except SystemExit:\n    pass\n"
           "print(' '.join(sorted(sys.modules)), file=sys.stderr)")


@pytest.mark.parametrize("args", [["--memory", "--no-llm", "-c", "3 + 4"],
                                  ["--memory", "-c", "3 + 4"]])
def test_a_c_run_imports_neither_the_repl_nor_zeo_nor_a_model(args):
    p = subprocess.run([sys.executable, "-c", MODULES, *args], capture_output=True,
                       text=True, timeout=120, env=dict(os.environ, UVM_LLM="none"))
    modules = set(p.stderr.split())
    assert "uvm.image.image" in modules
    unwanted = {m for m in modules if m.split(".")[0] in ("prompt_toolkit", "pygments", "ZEO",
                                                          "torch", "transformers", "BTrees")
                or m.startswith(("uvm.repl", "uvm.llm.synthesis"))}
    if "--no-llm" in args:
        unwanted |= {m for m in modules if m.startswith("uvm.llm")}
    assert not unwanted
