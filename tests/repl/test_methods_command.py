""":methods in the REPL: the model-written methods listed, shown, regenerated and removed
through a Session, on a file image, with the ``script:`` test double as the model."""
from __future__ import annotations

import json

import pytest

import uvm
from uvm.llm.synthesis import pipeline
from uvm.llm.doubles import ScriptBackend
from uvm.repl.completion import complete
from uvm.repl.session import Session


@pytest.fixture
def model_session(tmp_path):
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps({"text": t}) + "\n" for t in (
        "def triple_(self, n):\n    return n * 3\n",
        "def triple_(self, n):\n    return n + n + n\n")))
    with uvm.open(str(tmp_path / "img.fs")) as image:
        pipeline.install(image, backend=ScriptBackend(f"script:{answers}", str(answers)))
        session = Session(image)
        session.run("lobby _AddSlots: (| calc = (| parent* = traits clonable. "
                    "twice: n = (n * 2) |) |)")
        assert session.run("calc triple: 3").output == "9"
        yield session
    pipeline.uninstall()


def test_methods_list_show_regenerate_remove_undo(model_session):
    s = model_session
    listing = s.run(":methods").output.splitlines()
    assert listing[0].split()[:2] == ["selector", "where"]
    assert listing[1].split()[:2] == ["triple:", "calc"]
    assert s.run(":methods traits integer").output == "no model-written methods"
    assert "return n * 3" in s.run(":methods show calc triple:").output
    out = s.run(":methods regenerate calc triple:")
    assert out.kind == "command" and "return n + n + n" in out.output
    assert s.run("calc triple: 4").output == "12"
    out = s.run(":methods regenerate calc triple:")   # the script has no answer left
    assert out.kind == "error" and "still there" in out.error
    assert "n + n + n" in s.run(":methods show calc triple:").output
    assert s.run(":methods remove calc triple:").output.startswith("removed calc triple:")
    assert s.run(":methods calc").output == "no model-written methods"
    assert "undid" in s.run(":undo").output
    assert "n + n + n" in s.run(":methods show calc triple:").output


def test_methods_refusals(model_session):
    s = model_session
    for text, message in [(":methods nosuch", "no object at 'nosuch'"),
                          (":methods remove calc", "usage: :methods remove PATH SELECTOR"),
                          (":methods remove calc twice:", "not a model-written method"),
                          (":methods show calc triple: --send calc triple: 2", "--send and --hint go with"),
                          (":methods regenerate calc triple: --send calc triple:", "Syntax")]:
        out = s.run(text)
        assert out.kind == "error" and message in out.error, (text, out.error)
    assert "twice:" in s.image.lobby._slots["calc"]._slots


def test_methods_completes_its_actions(session):
    assert [c.text for c in complete(session, ":methods re")] == ["remove", "regenerate"]
