"""Candidates chosen by tests: one batched generation gives several methods, each is run
in a rolled-back savepoint, and the evidence picks one -- the user's examples, else the
agreement among candidates and the checks the model writes itself (CodeT). The ``script:``
test double answers a batch with a line's ``"texts"``."""
from __future__ import annotations

import json

import uvm
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import pipeline
from uvm.llm.synthesis.choice import parse_checks
from uvm.runtime import send as send_mod

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable. hits <- 0 |) |)"
TIMES4 = "def triple_(self, n):\n    return n * 4\n"
FOUR_TIMES = "def triple_(self, n):\n    return 4 * n\n"
RIGHT = "def triple_(self, n):\n    return n * 3\n"
RAISES = "def triple_(self, n):\n    return n / 0\n"
NOISY = "def triple_(self, n):\n    self.hits = self.hits + 1\n    return n * 5\n"


def synthesizer(tmp_path, im, *rows, **kw):
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    backend = ScriptBackend(f"script:{path}", str(path))
    send_mod.synthesizer = pipeline.Synthesizer(im, backend=backend, **kw)
    return backend


def written(im):
    return im.lobby._slots["calc"]._slots["triple:"]


def test_one_batch_is_asked_for_and_the_examples_choose(tmp_path):
    with uvm.open(memory=True) as im:
        backend = synthesizer(tmp_path, im, {"texts": [RAISES, TIMES4, NOISY, RIGHT]})
        im.eval(CALC + ". calc intend: 'triple:' Example: 'calc triple: 2' Gives: 6")
        try:
            assert im.eval("calc triple: 5") == 15
        finally:
            pipeline.uninstall()
        assert backend.calls == 1 and backend.batches == [(pipeline.CANDIDATES, True)]
        method = written(im)
        assert method.source == RIGHT
        assert method.provenance["candidates"] == 4 and "examples" in method.provenance["chosen_by"]
        assert im.eval("calc hits") == 0  # the trials' writes were rolled back


def test_without_examples_the_models_checks_outvote_a_wrong_majority(tmp_path):
    checks = "calc triple: 2 -> 6\ncalc triple: 10 -> 30\ncalc triple: 3 -> 9\n"
    with uvm.open(memory=True) as im:
        backend = synthesizer(tmp_path, im, {"texts": [TIMES4, FOUR_TIMES, RIGHT, RAISES]},
                              {"text": checks})
        im.eval(CALC)
        try:
            assert im.eval("calc triple: 3") == 9
        finally:
            pipeline.uninstall()
        assert backend.calls == 2   # the candidates, then the checks (CodeT)
        assert "calc triple: 3" in backend.requests[1].messages[-1][1]
        assert written(im).source == RIGHT
        assert written(im).provenance["chosen_by"].startswith("2 of the model's 2 checks")


def test_agreeing_candidates_need_no_checks_and_a_raising_greedy_one_is_out(tmp_path):
    with uvm.open(memory=True) as im:
        backend = synthesizer(tmp_path, im, {"texts": [RAISES, RIGHT, RIGHT, "def triple_(self, n):\n    return n + n + n\n"]})
        im.eval(CALC)
        try:
            assert im.eval("calc triple: 4") == 12
        finally:
            pipeline.uninstall()
        assert backend.calls == 1
        assert written(im).source == RIGHT
        assert written(im).provenance["chosen_by"] == "all 2 candidates agreed"


def test_the_models_checks_are_read_strictly():
    text = ("`calc triple: 2` -> 6\ncalc triple: 3 -> 9\ncalc double: 2 -> 4\n"
            "calc triple: 5 -> fifteen\ncalc triple: 7 -> 'x'.\nnot a check\n")
    assert parse_checks(text, "triple:", "calc triple: 3") == [
        ("calc triple: 2", "6"), ("calc triple: 7", "'x'")]
