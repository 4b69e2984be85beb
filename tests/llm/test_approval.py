"""The person's part in synthesis: the approval choices (install, decline, try again with a
hint, edit), regenerating with a fresh sample that knows what it replaces, and how long
the model and the person took, kept in the provenance across the examples' rollback.

Answers come from the ``script:`` test double; the clock is a fake one where time is
measured, so no test depends on how fast the machine is."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import script_file as script
import uvm
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import methods as M
from uvm.llm.synthesis import pipeline
from uvm.llm.synthesis.approval import Decision, choice_of
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)"
TRIPLE = "def triple_(self, n):\n    return n * 3\n"
WRONG = "def triple_(self, n):\n    return n + 3\n"
OTHER = "def triple_(self, n):\n    return n + n + n\n"


@pytest.fixture
def synth():
    made = []

    def make(image, tmp_path, *answers, attempts=pipeline.ATTEMPTS, approver=None):
        path = script(tmp_path, *answers, name=f"answers{len(made)}.jsonl")
        backend = ScriptBackend("script:" + path, path)
        s = pipeline.Synthesizer(image, attempts=attempts, backend=backend)
        s.approver = approver
        send_mod.synthesizer = s
        made.append(s)
        return s, backend
    yield make
    pipeline.uninstall()


class Answers:
    """An approver answering from a list, and keeping what it was shown."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.shown: list[tuple[str, str]] = []   # (code, note)

    def __call__(self, selector, code, where, note=""):
        self.shown.append((code, note))
        return self.answers.pop(0)


# --- the choices ---------------------------------------------------------------------------------

def test_typed_answers_name_the_choices():
    assert [choice_of(t) for t in ("y", "YES", "t", "try again", "e", "edit", "", "n", "x")] == [
        "install", "install", "again", "again", "edit", "edit", "decline", "decline", "decline"]


def test_try_again_samples_another_answer_with_the_persons_hint(tmp_path, synth):
    with uvm.open(memory=True) as im:
        asked = Answers(Decision("again", hint="multiply, do not add"), True)
        s, backend = synth(im, tmp_path, WRONG, TRIPLE, attempts=1, approver=asked)
        im.eval(CALC)
        assert im.eval("calc triple: 3") == 9     # one attempt allowed: trying again is extra
        assert [code for code, _ in asked.shown] == [WRONG, TRIPLE]
        first, second = backend.requests
        assert backend.batches[0][1] and not backend.batches[1][1]  # the first greedy, then sampled
        assert second.temperature > 0
        assert "multiply, do not add" in second.messages[-2][1]
        method = im.lobby._slots["calc"]._slots["triple:"]
        assert method.source == TRIPLE and method.provenance["attempts"] == 2


def test_edit_installs_the_persons_version_after_the_guardian_passed_it(tmp_path, synth):
    mine = "def triple_(self, n):\n    return 3 * n\n"
    with uvm.open(memory=True) as im:
        asked = Answers(Decision("edit", code="import os\n" + mine), True,
                        Decision("edit", code=mine))
        synth(im, tmp_path, TRIPLE, approver=asked)
        im.eval(CALC)
        assert im.eval("calc triple: 4") == 12
        # the first edit was refused and shown again with the reason; yes could not install it
        assert asked.shown[1][0].startswith("import os") and "guardian" in asked.shown[1][1]
        assert "edit it again, or answer n" in asked.shown[2][1]
        method = im.lobby._slots["calc"]._slots["triple:"]
        assert method.source == mine and method.provenance["edited"] is True


def test_declining_still_leaves_nothing_and_says_so_plainly(tmp_path, synth):
    with uvm.open(memory=True) as im:
        synth(im, tmp_path, TRIPLE, approver=Answers(Decision("decline")))
        im.eval(CALC)
        with pytest.raises(UvmError) as caught:
            im.eval("calc triple: 3")
        assert "#triple:, and the model's method was not installed (declined)" in str(caught.value)
        assert "::" not in str(caught.value)
        assert "triple:" not in im.lobby._slots["calc"]._slots


# --- regenerating ---------------------------------------------------------------------------------

def test_regenerate_draws_a_fresh_sample_that_knows_what_it_replaces(tmp_path, synth):
    with uvm.open(str(tmp_path / "img.fs")) as im:
        synth(im, tmp_path, WRONG)
        im.eval(CALC)
        assert im.eval("calc triple: 3") == 6
        s, backend = synth(im, tmp_path, OTHER)
        calc = M.object_at(im, "calc")
        M.regenerate(im, calc, "triple:", hint="three times n")
        (request,) = backend.requests
        assert request.temperature > 0 and request.seed is None   # not the same greedy answer
        brief = request.messages[-2][1]
        assert "written again (three times n)" in brief and "return n + 3" in brief
        assert calc._slots["triple:"].source == OTHER
        assert s.rewriting == {}


def test_the_command_takes_a_hint(tmp_path, synth):
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        synth(im, tmp_path, WRONG)
        im.eval(CALC + ". calc triple: 3")
    pipeline.uninstall()
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "methods", "regenerate", "calc",
                        "triple:", "--image", path, "--hint", "three times n",
                        "--llm", "script:" + script(tmp_path, OTHER, name="again.jsonl")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "return n + n + n" in p.stdout


# --- time ---------------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_model_time_and_the_persons_time_are_kept_apart_across_the_examples_rollback(
        tmp_path, synth, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(pipeline, "clock", clock)

    class SlowModel(ScriptBackend):
        def _batch(self, *args):
            clock.now += 5.0                       # the model takes 5 s for the candidates
            return super()._batch(*args)

    def reading(selector, code, where, note=""):
        clock.now += 100.0                         # the person reads for 100 s
        return True
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        s, _ = synth(im, tmp_path, approver=reading)
        answers = script(tmp_path, TRIPLE, name="slow.jsonl")
        s._backend = SlowModel("script:" + answers, answers)
        im.eval(CALC + ". calc intend: 'triple:' Example: 'calc triple: 2' Gives: 6")
        assert im.eval("calc triple: 3") == 9
    pipeline.uninstall()
    with uvm.open(path) as im:          # as committed: the examples' rollback lost nothing
        p = im.lobby._slots["calc"]._slots["triple:"].provenance
        assert (p["seconds"], p["model_seconds"], p["waiting_seconds"]) == (5.0, 5.0, 100.0)


def test_the_history_says_one_attempt(tmp_path, synth):
    path = str(tmp_path / "img.fs")
    with uvm.open(path) as im:
        synth(im, tmp_path, TRIPLE)
        im.eval(CALC + ". calc triple: 3")
    pipeline.uninstall()
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "history", "--image", path],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert ", 1 attempt]" in p.stdout and "1 attempts" not in p.stdout


def test_uvm_approve_reads_the_choices_from_the_terminal(tmp_path, monkeypatch):
    """``uvm --approve``'s questions (TerminalApproval), answered from a stream."""
    import io

    from uvm.llm.synthesis.approval import TerminalApproval
    out = io.StringIO()
    again = TerminalApproval(io.StringIO("t\nuse n * 3\n"), out).approve("triple:", WRONG, "calc")
    assert again == Decision("again", hint="use n * 3")
    assert "t: the model tries again" in out.getvalue() and "A hint for the model" in out.getvalue()
    editor = tmp_path / "editor"
    editor.write_text("#!/bin/sh\nprintf 'def triple_(self, n):\\n    return 3 * n\\n' > \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    edit = TerminalApproval(io.StringIO("e\n"), out).approve("triple:", WRONG, "calc")
    assert edit == Decision("edit", code="def triple_(self, n):\n    return 3 * n\n")
    assert TerminalApproval(io.StringIO("\n"), out).approve("triple:", WRONG, "calc").action \
        == "decline"
