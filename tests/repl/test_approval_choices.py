"""The REPL's approval question, driven headlessly: try again with a hint, edit in
``$EDITOR`` (a script standing in for the person's editor), decline. Answers come from the
``script:`` test double."""
from __future__ import annotations

import json

import pytest

from tests.repl.conftest import Driver
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import pipeline
from uvm.runtime import send as send_mod

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)"
WRONG = "def triple_(self, n):\n    return n + 3\n"
TRIPLE = "def triple_(self, n):\n    return n * 3\n"
CHOICES = "(y: install it, n: do not, t: the model tries again"


@pytest.fixture
def with_model(image, tmp_path):
    def answers(*texts) -> ScriptBackend:
        path = tmp_path / "answers.jsonl"
        path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts))
        backend = ScriptBackend("script:" + str(path), str(path))
        send_mod.synthesizer = pipeline.Synthesizer(image, backend=backend)
        return backend
    yield answers
    pipeline.uninstall()


def test_try_again_with_a_hint_then_edit_in_the_editor(image, with_model, tmp_path, monkeypatch):
    backend = with_model(WRONG, TRIPLE)
    editor = tmp_path / "editor"
    editor.write_text("#!/bin/sh\nprintf 'def triple_(self, n):\\n    return 3 * n\\n' > \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)

    def script(d):
        d.type(CALC + "\r")
        d.wait(lambda: "calc |)" in d.stdout, "the slot added")
        d.type("calc triple: 3\r")
        d.wait(lambda: d.stdout.count(CHOICES) == 1, "the first method and the choices")
        d.type("t\r")
        d.type("multiply, do not add\r")
        d.wait(lambda: d.stdout.count(CHOICES) == 2, "another answer")
        d.type("e\r")
        d.wait(lambda: d.stdout.rstrip().endswith("9"), "the edited method's value")
        d.type("\x04")
    driver = Driver(image)
    driver.run(script=script)
    assert "return n + 3" in driver.stdout and "return n * 3" in driver.stdout
    assert "multiply, do not add" in backend.requests[1].messages[-2][1]
    method = image.lobby._slots["calc"]._slots["triple:"]
    assert method.source == "def triple_(self, n):\n    return 3 * n\n"
    assert method.provenance["edited"] is True


def test_enter_declines(image, with_model):
    with_model(TRIPLE)

    def script(d):
        d.type(CALC + "\r")
        d.wait(lambda: "calc |)" in d.stdout, "the slot added")
        d.type("calc triple: 3\r")
        d.wait(lambda: CHOICES in d.stdout, "the question")
        d.type("\r")
        d.wait(lambda: "(declined)" in d.stderr, "the refusal")
        d.type("\x04")
    Driver(image).run(script=script)
    assert "triple:" not in image.lobby._slots["calc"]._slots
