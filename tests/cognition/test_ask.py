"""Where people meet a thought: ``uvm ask`` (a subprocess on a file image), the REPL's
``:thoughts`` and ``:inspect`` of a thought, a failed thought in the REPL; and one real
embedded-model thought end to end (``uvm ask``, ``uvm history``, ``uvm undo``)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import uvm
from tests.conftest import script_file
from tests.cognition.test_cycle import FACETS, PARTS, QUERY, WOVEN, first_thought
from tests.llm.conftest import needs_ml
from uvm.cognition import cycle
from uvm.repl.session import Session

DEADLINE = 240          # seconds for a subprocess on the script double
REAL_DEADLINE = 1800    # the embedded model on busy shared cores


def uvm_cli(*args, env=None, timeout=DEADLINE):
    full = {**os.environ, "UVM_LLM": "none", **(env or {})}
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=full)


def test_uvm_ask_prints_the_answer_and_the_trace_on_stderr(tmp_path):
    path = str(tmp_path / "a.fs")
    script = script_file(tmp_path, *first_thought())
    done = uvm_cli("ask", "--image", path, "--llm", "script:" + script, "--persona", "robin",
                   "--trace", QUERY)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == WOVEN
    assert re.search(r"states: IDLE [\d.]+ s -> DECOMPOSING", done.stderr)
    assert "facet sage:" in done.stderr
    assert "gate, attempt 1: not empty ok" in done.stderr
    history = uvm_cli("history", "--image", path)
    assert f"thought   ROBIN: {QUERY}" in history.stdout


def test_uvm_ask_exits_1_with_the_failed_state_and_keeps_nothing(tmp_path):
    path = str(tmp_path / "a.fs")
    with uvm.open(path):
        pass
    before = open(path, "rb").read()
    script = script_file(tmp_path, *first_thought(weave=("", "")))
    done = uvm_cli("ask", "--image", path, "--llm", "script:" + script, "--persona", "robin", QUERY)
    assert done.returncode == 1 and done.stdout == ""
    assert "uvm: FAILED in SYNTHESIZING: the quality gate refused the answer 2 times" in done.stderr
    assert "Traceback" not in done.stderr
    assert open(path, "rb").read() == before


def test_uvm_ask_bad_usage(tmp_path):
    assert uvm_cli("ask").returncode == 2
    done = uvm_cli("ask", "--image", str(tmp_path / "b.fs"), "--persona", "nobody", "hello")
    assert done.returncode == 1 and "no persona named 'nobody'" in done.stderr


def test_the_repl_lists_and_inspects_thoughts_and_survives_a_failed_one(scripted, image):
    session = Session(image)
    scripted(image, *first_thought(), QUERY)     # the second thought fails: no facets answers
    assert session.run(":thoughts").output.startswith("no thoughts yet")
    out = session.run(f"robin ask: '{QUERY}'")
    assert out.kind == "value" and WOVEN in out.output
    listed = session.run(":thoughts 5").output
    assert "ROBIN" in listed and QUERY in listed
    shown = session.run(":inspect mind thoughts first").output
    assert "trace:" in shown and "DECOMPOSING" in shown and "gate, attempt 1" in shown
    failed = session.run(f"robin ask: '{QUERY}'")
    assert failed.kind == "error" and "failed in DELEGATING" in failed.error
    assert session.run("3 + 4").output == "7"                  # the REPL goes on
    assert session.run(":thoughts").output.count("ROBIN") == 1  # the failed one left nothing
    assert session.run(":thoughts x").kind == "error"


@needs_ml
def test_a_real_thought_end_to_end(tmp_path):
    """The embedded model thinks as ROBIN through every state (its facets written first by
    the script double, so the model's time goes to the thought); uvm history lists the
    thought, uvm undo takes it back."""
    path = str(tmp_path / "real.fs")
    awake = uvm_cli("awaken", "--image", path, timeout=REAL_DEADLINE)
    assert awake.returncode == 0, awake.stderr
    codes = []
    for code, part in zip(FACETS.values(), PARTS):
        codes += [code, part]
    written = uvm_cli("--image", path, "--llm", "script:" + script_file(tmp_path, *codes), "-c",
                      "robin sage: 'a'. robin simpleHeart: 'b'. robin joyfulSpark: 'c'")
    assert written.returncode == 0, written.stderr
    question = "My sister forgot my birthday and I feel hurt."
    done = uvm_cli("ask", "--image", path, "--llm", "embedded", "--persona", "robin", "--trace",
                   question, env={"UVM_LLM_TIMEOUT": "1200"}, timeout=REAL_DEADLINE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "SYNTHESIZING" in done.stderr and "gate, attempt 1" in done.stderr
    history = uvm_cli("history", "--image", path, "-n", "1").stdout
    assert f"thought   ROBIN: {question}" in history
    entry = history.split()[0]
    assert uvm_cli("-p", "mind thoughts size", "--image", path).stdout.strip() == "1"
    undone = uvm_cli("undo", entry, "--image", path)
    assert undone.returncode == 0, undone.stderr
    assert uvm_cli("-p", "mind thoughts size", "--image", path).stdout.strip() == "0"
    assert uvm_cli("-p", "robin facets size", "--image", path).stdout.strip() == "3"


def test_the_fault_hook_is_off_by_default():
    assert cycle.inject_fault is None


def test_ctrl_c_in_a_thought_dooms_it_and_the_repl_goes_on(scripted, tmp_path, monkeypatch):
    image = uvm.open(str(tmp_path / "c.fs"))
    session = Session(image)
    scripted(image, *first_thought())
    before = open(tmp_path / "c.fs", "rb").read()

    def interrupted(image, cyc):
        raise KeyboardInterrupt
    monkeypatch.setattr(cycle, "delegate", interrupted)
    out = session.run(f"robin ask: '{QUERY}'")
    assert out.kind == "interrupted"
    assert cycle.last_trace["failure"]["reason"] == "interrupted (Ctrl-C)"
    assert open(tmp_path / "c.fs", "rb").read() == before
    assert session.run("robin facets size").output == "0"
    assert session.run("3 + 4").output == "7"
    image.close()
