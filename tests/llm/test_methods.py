"""Managing what the model wrote (``uvm.llm.synthesis.methods``, ``uvm methods``): list, show, remove
and regenerate model-written methods, on real file images, with the ``script:`` test
double writing the methods."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import script_file as script
import uvm
from uvm.llm.synthesis import methods as M
from uvm.llm.synthesis import pipeline
from uvm.llm.doubles import ScriptBackend
from uvm.runtime.errors import UvmError

TRIPLE = "def triple_(self, n):\n    return n * 3\n"
TRIPLE_AGAIN = "def triple_(self, n):\n    return n + n + n\n"
SQUARE = "def squaredPlusOne(self):\n    return self * self + 1\n"
SIZE = "def sizeOf_(self, of):\n    return len(of)\n"
BAD = "def triple_(self, n):\n    return n / 0\n"
WORLD = ("lobby _AddSlots: (| calc = (| parent* = traits clonable. "
         "half = py'''\n    def half(self, n):\n        return n / 2\n'''. "
         "twice: n = (n * 2) |) |)")


def model(image, path) -> ScriptBackend:
    backend = ScriptBackend("script:" + path, path)
    pipeline.install(image, backend=backend)
    return backend


@pytest.fixture
def fs(tmp_path):
    """A file image where the model wrote calc triple: (sent 3) and integers'
    squaredPlusOne; calc also has a person's Python method and a UVM method."""
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        model(im, script(tmp_path, TRIPLE, SQUARE, name="first.jsonl"))
        im.eval(WORLD)
        assert im.eval("calc triple: 3") == 9
        assert im.eval("4 squaredPlusOne") == 17
    pipeline.uninstall()
    yield path
    pipeline.uninstall()


def uvm_cli(*args):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True,
                          text=True, timeout=120)


# --- listing and showing ------------------------------------------------------------------------

def test_the_image_lists_only_model_written_methods_with_provenance(fs):
    with uvm.open(fs) as im:
        found = M.synthesized_methods(im)
        assert [(m.path, m.selector) for m in found] == [("calc", "triple:"),
                                                        ("traits integer", "squaredPlusOne")]
        triple = found[0]
        assert triple.holder is im.lobby._slots["calc"] and triple.source == TRIPLE
        p = triple.provenance
        assert p["synthesized"] and p["attempts"] == 1 and p["model"].startswith("script:")
        assert p["example"] == {"receiver": None, "args": ["3"]}
        assert "calc triple: 3" in p["sent_from"]
        table = M.table(found)
        assert table.splitlines()[0].split()[:2] == ["selector", "where"]
        assert "traits integer" in table and "calc triple: 3" in table


def test_one_object_lists_its_own(fs):
    with uvm.open(fs) as im:
        calc = M.object_at(im, "calc")
        assert [m.selector for m in M.synthesized_methods(im, calc)] == ["triple:"]
        ints = M.object_at(im, "traits integer")
        assert [m.selector for m in M.synthesized_methods(im, ints)] == ["squaredPlusOne"]
        assert M.synthesized_methods(im, M.object_at(im, "traits string")) == []


def test_show_and_the_refusals(fs):
    with uvm.open(fs) as im:
        calc = M.object_at(im, "calc")
        text = M.details(M.synthesized_method(im, calc, "triple:"))
        assert text.startswith("calc triple:") and "return n * 3" in text
        assert "attempts: 1" in text and "sent from: " in text and "first send: calc triple: 3" in text
        with pytest.raises(M.MethodsError, match="calc has no slot 'nope'"):
            M.synthesized_method(im, calc, "nope")
        for person_wrote in ("half", "twice:", "parent"):
            with pytest.raises(M.MethodsError, match="not a model-written method"):
                M.remove_method(im, calc, person_wrote)
        assert "half" in calc._slots
        with pytest.raises(M.MethodsError, match="no object at 'calx'"):
            M.object_at(im, "calx")


# --- removing -------------------------------------------------------------------------------------

def test_remove_is_a_recorded_evaluation_and_undo_brings_it_back(fs):
    with uvm.open(fs) as im:
        calc = M.object_at(im, "calc")
        removed = M.remove_method(im, calc, "triple:")
        assert removed.source == TRIPLE
        last = im.history(1)[0]
        assert (last.origin, last.source) == ("methods", "remove calc triple:")
    with uvm.open(fs) as im:  # the removal was committed; with no model the send now fails
        assert "triple:" not in im.lobby._slots["calc"]._slots
        with pytest.raises(UvmError, match="doesNotUnderstand: #triple:"):
            im.eval("calc triple: 3")
        im.undo(last.id)
        assert im.eval("calc triple: 4") == 12
        assert M.synthesized_methods(im, im.lobby._slots["calc"])[0].provenance["attempts"] == 1


# --- regenerating ---------------------------------------------------------------------------------

def test_regenerate_resends_the_example(fs, tmp_path):
    with uvm.open(fs) as im:
        backend = model(im, script(tmp_path, TRIPLE_AGAIN, SQUARE))
        calc = M.object_at(im, "calc")
        assert M.example_send(im, M.synthesized_method(im, calc, "triple:")) == "calc triple: 3"
        new = M.regenerate(im, calc, "triple:")
        assert new.source == TRIPLE_AGAIN and calc._slots["triple:"].source == TRIPLE_AGAIN
        assert new.provenance["sent_from"].endswith("calc triple: 3")
        assert im.history(1)[0].source == "regenerate calc triple: by sending: calc triple: 3"
        assert im.history(1)[0].model.startswith("script:")
        # a host value's method: its receiver's literal is sent again
        M.regenerate(im, M.object_at(im, "traits integer"), "squaredPlusOne")
        assert "the integer 4" in "\n".join(text for _, text in backend.requests[1].messages)
        assert backend.calls == 2
    pipeline.uninstall()
    with uvm.open(fs) as im:
        assert im.lobby._slots["calc"]._slots["triple:"].source == TRIPLE_AGAIN


def test_regenerate_with_a_send_when_the_example_has_no_literal(fs, tmp_path):
    with uvm.open(fs) as im:
        model(im, script(tmp_path, SIZE, SIZE))
        im.eval("calc sizeOf: (1 & 2) asList")
        calc = M.object_at(im, "calc")
        assert calc._slots["sizeOf:"].provenance["example"]["args"] == [None]
        with pytest.raises(M.MethodsError, match="no literal form.*--send EXPR"):
            M.regenerate(im, calc, "sizeOf:")
        new = M.regenerate(im, calc, "sizeOf:", send="calc sizeOf: (1 & 2 & 3) asList")
        assert new.source == SIZE
        assert im.history(1)[0].source.endswith("by sending: calc sizeOf: (1 & 2 & 3) asList")


def test_a_failed_regeneration_leaves_the_old_method(fs, tmp_path):
    with uvm.open(fs) as im:
        backend = model(im, script(tmp_path, BAD, BAD, BAD))
        calc = M.object_at(im, "calc")
        before = [e.id for e in im.history(5)]
        with pytest.raises(UvmError, match="could not write it in 3 attempts"):
            M.regenerate(im, calc, "triple:")
        assert backend.calls == 3
        assert [e.id for e in im.history(5)] == before  # nothing was committed
        assert calc._slots["triple:"].source == TRIPLE and im.eval("calc triple: 2") == 6
    pipeline.uninstall()
    with uvm.open(fs) as im:
        assert im.lobby._slots["calc"]._slots["triple:"].source == TRIPLE


def test_a_send_that_does_not_rewrite_it_changes_nothing(fs, tmp_path):
    with uvm.open(fs) as im:
        backend = model(im, script(tmp_path, TRIPLE_AGAIN))
        calc = M.object_at(im, "calc")
        with pytest.raises(UvmError, match="did not make the model write calc triple: again"):
            M.regenerate(im, calc, "triple:", send="calc twice: 2")
        assert backend.calls == 0 and calc._slots["triple:"].source == TRIPLE


def test_regenerate_needs_a_model(fs):
    pipeline.uninstall()
    with uvm.open(fs) as im:
        with pytest.raises(M.MethodsError, match="needs a language model"):
            M.regenerate(im, M.object_at(im, "calc"), "triple:")
        assert "triple:" in im.lobby._slots["calc"]._slots


# --- the command ----------------------------------------------------------------------------------

def test_the_command_lists_shows_regenerates_removes(fs, tmp_path):
    p = uvm_cli("methods", "--synthesized", "--image", fs)
    assert p.returncode == 0, p.stderr
    assert [line.split()[:2] for line in p.stdout.splitlines()[1:]] == [
        ["triple:", "calc"], ["squaredPlusOne", "traits"]]
    p = uvm_cli("methods", "traits", "integer", "--image", fs, "--json")
    assert p.returncode == 0
    assert [r["selector"] for r in json.loads(p.stdout)] == ["squaredPlusOne"]
    p = uvm_cli("methods", "show", "calc", "triple:", "--image", fs)
    assert p.returncode == 0 and "return n * 3" in p.stdout and "attempts: 1" in p.stdout
    answers = script(tmp_path, TRIPLE_AGAIN)
    p = uvm_cli("methods", "regenerate", "calc", "triple:", "--image", fs,
                "--llm", "script:" + answers)
    assert p.returncode == 0, p.stderr
    assert "return n + n + n" in p.stdout
    bad = script(tmp_path, BAD, BAD, BAD, name="bad.jsonl")
    p = uvm_cli("methods", "regenerate", "calc", "triple:", "--image", fs,
                "--llm", "script:" + bad, "--send", "calc triple: 5")
    assert p.returncode == 1 and "3 attempts" in p.stderr and "still there" in p.stderr
    p = uvm_cli("methods", "show", "calc", "triple:", "--image", fs)
    assert "return n + n + n" in p.stdout
    p = uvm_cli("methods", "remove", "calc", "triple:", "--image", fs)
    assert p.returncode == 0 and "uvm undo" in p.stdout
    assert uvm_cli("methods", "--image", fs, "calc").stdout.strip() == "no model-written methods"


def test_the_command_fails_clearly(fs):
    cases = [
        (("methods", "nosuch", "--image", fs), 1, "no object at 'nosuch'"),
        (("methods", "show", "calc", "nope", "--image", fs), 1, "calc has no slot 'nope'"),
        (("methods", "remove", "calc", "half", "--image", fs), 1, "not a model-written method"),
        (("methods", "regenerate", "calc", "triple:", "--image", fs), 1, "needs a language model"),
        (("methods", "regenerate", "calc", "triple:", "--image", fs, "--llm", "nosuch"), 2,
         "unknown language-model backend"),
        (("methods", "remove", "calc", "--image", fs), 2, "needs PATH and SELECTOR"),
        (("methods", "show", "calc", "triple:", "--send", "x", "--image", fs), 2,
         "--send, --hint and --llm go with regenerate"),
    ]
    for args, status, message in cases:
        p = uvm_cli(*args)
        assert (p.returncode, message in p.stderr) == (status, True), (args, p.stderr)
    with uvm.open(fs) as im:
        assert [m.selector for m in M.synthesized_methods(im)] == ["triple:", "squaredPlusOne"]


def test_listing_works_while_another_process_holds_the_image(fs):
    with uvm.open(fs):
        p = uvm_cli("methods", "--image", fs)
        assert p.returncode == 0 and "triple:" in p.stdout
        p = uvm_cli("methods", "remove", "calc", "triple:", "--image", fs)
        assert p.returncode == 1 and p.stderr.startswith("uvm: ")
