"""Synthesis with a person at the terminal: --approve and --synthesize-anyway, saying where
a method goes, progress only on a terminal, the time limit on generation, and Ctrl-C.

Canned answers come from the ``script:`` test double, a model that never finishes from
``SlowStreamingDouble`` (a test double too); one test interrupts the real embedded model.
The pseudo-terminal tests are in ``tests/repl/test_pty_synthesis.py``."""
from __future__ import annotations

import _thread
import json
import re
import subprocess
import sys
import threading
import time

import pytest

import uvm
from uvm.llm import generation
from uvm.llm.synthesis import pipeline
from uvm.llm.backend import Backend
from uvm.llm.doubles import ScriptBackend
from uvm.runtime import send as send_mod
from uvm.runtime.errors import UvmError

from .conftest import needs_ml

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)"
GOOD = "def triple_(self, n):\n    return n * 3\n"


def script(tmp_path, *answers) -> str:
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps({"text": a}) + "\n" for a in answers))
    return str(path)


def uvm_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "uvm.cli", "--memory", *args],
                          capture_output=True, text=True, timeout=120, **kw)


class SlowStreamingDouble(Backend):
    """Test double: a model that streams a method's first line, then a piece every
    ``pause`` seconds for ``pieces`` pieces. ``closed`` says whether the reader stopped it."""

    def __init__(self, pause: float = 0.05, pieces: int = 100):
        super().__init__("slow (test double)")
        self.pause, self.pieces, self.closed = pause, pieces, False

    def _stream(self, request):
        try:
            yield "def triple_(self, n):\n"
            for _ in range(self.pieces):
                time.sleep(self.pause)
                yield "    n = n + 1\n"
            yield "    return n\n"
        finally:
            self.closed = True


@pytest.fixture
def synth():
    """Install a synthesizer with the given backend (or a script path); uninstall after."""
    def make(image, backend):
        if isinstance(backend, str):
            backend = ScriptBackend("script:" + backend, backend)
        s = pipeline.Synthesizer(image, backend=backend)
        send_mod.synthesizer = s
        return s
    yield make
    pipeline.uninstall()


# --- the typo check -------------------------------------------------------------------------------

def test_synthesize_anyway_asks_the_model_for_a_typo(tmp_path, synth):
    with uvm.open(memory=True) as im:
        s = synth(im, script(tmp_path, "def factorail(self):\n    return 7\n"))
        with pytest.raises(UvmError, match=r"did you mean #factorial\?"):
            im.eval("3 factorail")
        s.synthesize_anyway = True
        assert im.eval("3 factorail") == 7
        assert s._backend.calls == 1


@pytest.mark.parametrize("answer", [True, False])
def test_a_typo_can_be_written_anyway_when_the_person_says_so(tmp_path, synth, answer):
    with uvm.open(memory=True) as im:
        s = synth(im, script(tmp_path, "def factorail(self):\n    return 7\n"))
        asked = []
        s.confirm_typo = lambda sel, suggestion: asked.append((sel, suggestion)) or answer
        if answer:
            assert im.eval("3 factorail") == 7
        else:
            with pytest.raises(UvmError, match=r"did you mean #factorial\?"):
                im.eval("3 factorail")
        assert asked == [("factorail", "factorial")]
        assert s._backend.calls == (1 if answer else 0)


def test_the_typo_question_names_both_selectors():
    assert pipeline.typo_question("facotrial", "factorial") == (
        "#facotrial is not understood; did you mean #factorial? "
        "Write #facotrial with the model anyway?")


def test_the_cli_flag_synthesize_anyway(tmp_path):
    answers = script(tmp_path, "def factorail(self):\n    return 7\n")
    refused = uvm_cli("--llm", "script:" + answers, "-p", "3 factorail")
    assert refused.returncode == 1 and "did you mean #factorial?" in refused.stderr
    written = uvm_cli("--llm", "script:" + answers, "--synthesize-anyway", "-p", "3 factorail")
    assert (written.returncode, written.stdout, written.stderr) == (0, "7\n", "")


# --- where it goes ---------------------------------------------------------------------------------

def test_the_approver_is_told_where_the_method_goes(tmp_path, synth):
    double = "def doubled(self):\n    return self * 2\n"
    point = "def doubled(self):\n    return self.n * 2\n"
    with uvm.open(memory=True) as im:
        s = synth(im, script(tmp_path, GOOD, double, point))
        seen = []
        s.approver = lambda sel, code, where: seen.append(where) or True
        im.eval(CALC + ". lobby _AddSlots: (| point = (| parent* = traits clonable |) |)")
        im.eval("lobby _AddSlots: (| p1 = (| parent* = point. n <- 3 |) |)")
        assert im.eval("calc triple: 3") == 9
        assert im.eval("4 doubled") == 8
        assert im.eval("p1 doubled") == 6
    assert seen == ["calc (and clones made from it after this)",
                    "traits integer (every integer)",
                    "point (shared by everything that inherits from it)"]


def test_a_terminal_gets_a_note_of_what_was_written(tmp_path, synth, monkeypatch, capsys):
    from uvm.llm import progress
    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    with uvm.open(memory=True) as im:
        synth(im, script(tmp_path, GOOD))
        im.eval(CALC)
        assert im.eval("calc triple: 3") == 9
    err = capsys.readouterr().err
    assert "\r\x1b[K| writing #triple: (attempt 1/3, 4 candidates)" in err   # the status line...
    *drawn, after = err.split("\r\x1b[K")                   # ...erased, then the note
    assert re.fullmatch(r"wrote calc triple: \(attempt 1, \d+\.\d s\)\n", after), err


def test_piped_runs_say_nothing_but_what_the_program_prints(tmp_path):
    r = uvm_cli("--llm", "script:" + script(tmp_path, GOOD), "-c",
                CALC + ". (calc triple: 3) printLine")
    assert (r.returncode, r.stdout, r.stderr) == (0, "9\n", "")


# --- --approve without a terminal ------------------------------------------------------------------

def test_approve_without_a_terminal_is_refused_before_anything_runs(tmp_path):
    # a new session has no controlling terminal, so /dev/tty cannot be opened either
    r = uvm_cli("--llm", "script:" + script(tmp_path, GOOD), "--approve", "-c",
                "'ran' printLine", stdin=subprocess.DEVNULL, start_new_session=True)
    assert r.returncode == 2 and r.stdout == ""
    assert "approval needs a terminal" in r.stderr


def test_approve_asks_on_the_terminal_and_reads_y(tmp_path, synth):
    import io
    from uvm.llm.synthesis.approval import TerminalApproval
    with uvm.open(memory=True) as im:
        s = synth(im, script(tmp_path, GOOD, GOOD))
        out = io.StringIO()
        asker = TerminalApproval(io.StringIO("n\ny\n"), out)
        s.approver = asker.approve
        im.eval(CALC)
        with pytest.raises(UvmError, match="declined"):
            im.eval("calc triple: 3")
        assert im.eval("calc triple: 3") == 9
    shown = out.getvalue()
    assert shown.count("Install it? [y/N] ") == 2
    assert "The model wrote #triple: for calc (and clones made from it after this):\n" \
           "def triple_(self, n):\n    return n * 3\n" in shown
    assert "\x1b[" not in shown                        # colour only on a terminal


# --- the time limit on generation ------------------------------------------------------------------

def test_a_generation_past_the_time_limit_stops_with_the_reason(synth):
    with uvm.open(memory=True) as im:
        backend = SlowStreamingDouble()
        s = synth(im, backend)
        s.timeout = 0.3
        im.eval(CALC)
        with pytest.raises(UvmError, match=r"the model took longer than 0.3 s"):
            im.eval("calc triple: 3")
        assert backend.closed and backend.calls == 1
        assert "triple:" not in im.lobby._slots["calc"]._slots
        assert im.eval("3 + 4") == 7


def test_the_time_limit_setting(monkeypatch, synth):
    with uvm.open(memory=True) as im:
        synth(im, SlowStreamingDouble())
        im.eval(CALC)
        monkeypatch.setenv("UVM_LLM_TIMEOUT", "0.2")
        with pytest.raises(UvmError, match=r"took longer than 0.2 s \(\$UVM_LLM_TIMEOUT"):
            im.eval("calc triple: 3")
        monkeypatch.setenv("UVM_LLM_TIMEOUT", "soon")
        with pytest.raises(UvmError, match=r"UVM_LLM_TIMEOUT must be a number of seconds"):
            im.eval("calc triple: 3")
    monkeypatch.delenv("UVM_LLM_TIMEOUT")
    assert generation.generation_timeout() == 120


# --- Ctrl-C ----------------------------------------------------------------------------------------

def test_ctrl_c_while_the_model_writes_propagates_and_leaves_nothing(synth):
    class Interrupted(SlowStreamingDouble):
        def _stream(self, request):
            for piece in super()._stream(request):
                yield piece
                raise KeyboardInterrupt  # as if Ctrl-C came while the model was writing

    with uvm.open(memory=True) as im:
        s = synth(im, Interrupted())
        im.eval(CALC)
        with pytest.raises(KeyboardInterrupt):
            im.eval("calc triple: 3")
        assert s.active == 0
        assert "triple:" not in im.lobby._slots["calc"]._slots
        s._backend = SlowStreamingDouble(pause=0, pieces=0)  # a later send asks again
        assert im.eval("calc triple: 3") == 3


def generation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "uvm-generate" and t.is_alive()]


@needs_ml
def test_ctrl_c_stops_the_embedded_models_generation(awake, synth):
    """Ctrl-C while the real model generates: KeyboardInterrupt reaches the caller and the
    generation thread has stopped by then (it does not run on holding the model lock)."""
    _, backend = awake

    def interrupt_when_generating():
        end = time.monotonic() + 60
        while not generation_threads() and time.monotonic() < end:
            time.sleep(0.001)
        _thread.interrupt_main()
    with uvm.open(memory=True) as im:
        synth(im, backend)
        im.eval(CALC)
        watcher = threading.Thread(target=interrupt_when_generating)
        watcher.start()
        with pytest.raises(KeyboardInterrupt):
            im.eval("calc triple: 3")
        watcher.join()
        assert generation_threads() == []
    pieces = backend.stream("Count from 1 to 100.", max_tokens=200)
    next(pieces)
    pieces.close()                                     # a reader that stops early
    assert generation_threads() == []
    assert backend.complete("Say hi.", max_tokens=3)   # the model is free for the next one
