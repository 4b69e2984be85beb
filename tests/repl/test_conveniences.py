"""What people used to IPython, ptpython and Pharo expect: numbered inputs whose text is
kept for backtraces, ``it`` and ``out7``, comments in command lines, ``:redo``,
``:senders``/``:implementors``, ``:edit`` in ``$EDITOR``, and a pager -- through the
``Session`` every front end uses, the headless prompt_toolkit driver and a real
pseudo-terminal."""
from __future__ import annotations

import json
import linecache

import pytest

import uvm
from tests.repl.conftest import Driver
from tests.repl.test_pty import Terminal
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import pipeline
from uvm.repl.session import Session
from uvm.runtime import send as send_mod

POINT = ("lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 0. y <- 0.\n"
         "    + p = ((clone x: x + p x) y: y + p y) |) |)")


@pytest.fixture
def fs_session(tmp_path):
    with uvm.open(str(tmp_path / "img.fs")) as im:
        yield Session(im)


# --- numbered inputs and backtraces -----------------------------------------------------------

def test_inputs_are_numbered_and_their_text_is_kept_for_backtraces(session):
    assert session.run("lobby _AddSlots: (| f = (\n  3 + 4.\n  nil zork) |)").kind == "value"
    err = session.run("f").error
    assert err.splitlines() == [
        "Error: doesNotUnderstand: #zork, sent to nil",
        "  at <repl-1>:3:7",
        "    f (<repl-1>:3:7)",
        "        nil zork) |)",
        "    <top level> (<repl-2>:1:1)",
        "        f"]
    assert linecache.getline("<repl-1>", 2) == "  3 + 4.\n"
    assert session.count == 2 and session.input_name() == "<repl-2>"


def test_the_prompt_shows_the_next_inputs_number(tmp_path):
    t = Terminal(["--memory"], tmp_path)
    try:
        t.wait_for("[1] uvm>")
        t.send("3 + 4\r")
        t.wait_for("[2] uvm>")
        t.send(":help\r")                          # a command is an input too
        t.wait_for("[3] uvm>")
        t.send("\x04")
        assert t.finish() == 0
    finally:
        if t.child.isalive():
            t.child.terminate(force=True)


# --- it and out7 --------------------------------------------------------------------------------

def test_it_is_the_last_value_and_outN_the_value_of_input_N(session):
    assert session.run("3 + 4").output == "7"
    assert session.run("it * 2").output == "14"
    assert session.run("out1 + out2").output == "21"
    assert session.run("[| :k | k + it] value: 1").output == "22"      # blocks see them
    missing = session.run("out9 + 1")
    assert missing.kind == "error" and "out9: input 9 gave no value" in missing.error
    assert "out1, out2, out3, out4" in missing.error
    assert session.run("'abc' size").output == "3"
    assert session.run("it").output == "3"


def test_a_slot_of_that_name_wins(session):
    session.run("lobby _AddSlots: (| it = 5. out1 = 6 |)")
    assert session.run("it + out1").output == "11"


def test_failed_inputs_give_no_value(session):
    session.run("nil zork")
    assert "out1: input 1 gave no value" in session.run("out1").error


# --- command lines ----------------------------------------------------------------------------------

def test_comments_in_a_command_line_are_ignored(fs_session):
    fs_session.run("lobby _AddSlots: (| mark = 1 |)")
    out = fs_session.run(':undo                         "take back the last evaluation"')
    assert out.kind == "command" and out.output.startswith("undid "), out.error
    assert fs_session.run(':help "which commands?" undo').output.startswith(":undo")
    assert fs_session.run(":inspect 'a \"quoted\" word'").kind == "command"


def test_redo_takes_back_the_last_undo(fs_session):
    fs_session.run("lobby _AddSlots: (| mark = 1 |)")
    assert fs_session.run(":redo").kind == "error"           # nothing undone yet
    fs_session.run(":undo")
    assert fs_session.run("lobby _SlotNames includes: 'mark'").output == "false"
    redo = fs_session.run(":redo")     # an evaluation ran since the undo: nothing to redo
    assert redo.kind == "error" and "nothing to redo" in redo.error
    fs_session.run("lobby _AddSlots: (| mark = 1 |)")
    fs_session.run(":undo")
    out = fs_session.run(":redo")
    assert out.kind == "command" and out.output.startswith("redid "), out.error
    assert fs_session.run("mark").output == "1"
    assert fs_session.image.history(1)[0].origin == "redo"
    assert fs_session.run(":undo").output.startswith("undid ")
    assert fs_session.run("lobby _SlotNames includes: 'mark'").output == "false"


# --- browsing ------------------------------------------------------------------------------------------

@pytest.fixture
def model_wrote_triple(image, tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(json.dumps({"text": "def triple_(self, n):\n    return self.x * n\n"}) + "\n")
    send_mod.synthesizer = pipeline.Synthesizer(
        image, backend=ScriptBackend("script:" + str(path), str(path)))
    image.eval(POINT)
    assert image.eval("point triple: 3") == 0
    pipeline.uninstall()
    yield
    pipeline.uninstall()


def test_implementors_and_senders(session, model_wrote_triple):
    out = session.run(":implementors triple:").output
    assert out.startswith("1 implementor of triple:\n")
    assert "point triple:  (python method, written by the model, <model:triple:>:1)" in out
    out = session.run(":implementors +").output
    assert "  point +  (method, <input>:2)" in out and "traits integer +" in out
    out = session.run(":senders y:").output
    assert out.startswith("1 sender of y:\n")
    assert "  point +  (method, <input>:2)\n      ((clone x: x + p x) y: y + p y)" in out
    assert "written by the model" in session.run(":senders x").output   # self.x in Python
    assert session.run(":senders noSuchSelector").output == "no senders of noSuchSelector"
    assert session.run(":senders").kind == "error"


# --- :edit ---------------------------------------------------------------------------------------------

def editor(tmp_path, monkeypatch, text: str):
    """$EDITOR: a script that writes ``text`` over the file it is given."""
    (tmp_path / "new-text").write_text(text)
    script = tmp_path / "editor"
    script.write_text(f"#!/bin/sh\ncat {tmp_path / 'new-text'} > \"$1\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)


def test_edit_a_uvm_method_in_the_editor(tmp_path, monkeypatch):
    with uvm.open(str(tmp_path / "img.fs")) as im:
        session = Session(im)
        session.run(POINT)
        editor(tmp_path, monkeypatch, "+ p = ((clone x: x + (2 * p x)) y: y + p y)\n")
        out = session.run(":edit point +")
        assert out.output == "installed your edit of point + (:undo takes it back)", out.error
        assert session.run("((point clone x: 1) + (point clone x: 3)) x").output == "7"
        assert im.history(1)[0].source.startswith("point _AddSlots: (|\n+ p = ")
        editor(tmp_path, monkeypatch, "+ p = ((clone x: x + \n")   # does not parse
        bad = session.run(":edit point +")
        assert bad.kind == "error" and "SyntaxError" in bad.error and "nothing changed" in bad.error
        editor(tmp_path, monkeypatch, "- p = (self)\n")            # no longer defines +
        assert "no longer defines +" in session.run(":edit point +").error
        session.run(":undo")                                         # the good edit
        assert session.run("((point clone x: 1) + (point clone x: 3)) x").output == "4"


def test_edit_a_model_written_method_is_audited_and_keeps_its_provenance(
        session, image, model_wrote_triple, tmp_path, monkeypatch):
    editor(tmp_path, monkeypatch, "def triple_(self, n):\n    import os\n    return 0\n")
    refused = session.run(":edit point triple:")
    assert refused.kind == "error" and "guardian rejected your edit" in refused.error
    editor(tmp_path, monkeypatch, "def triple_(self, n):\n    return n * 3\n")
    assert session.run(":edit point triple:").kind == "command"
    method = image.lobby._slots["point"]._slots["triple:"]
    assert method.source == "def triple_(self, n):\n    return n * 3\n"
    assert method.provenance["synthesized"] and method.provenance["edited"] is True
    assert image.lobby._slots["point"].annotations_of("triple:") == ()
    assert session.run("point triple: 5").output == "15"
    editor(tmp_path, monkeypatch, "")
    assert session.run(":edit point triple:").output == "no change to point triple:"


# --- the pager -----------------------------------------------------------------------------------

def test_long_output_goes_through_the_pager(tmp_path, monkeypatch):
    paged = tmp_path / "paged.txt"
    monkeypatch.setenv("PAGER", f"cat > {paged}")
    t = Terminal(["--memory"], tmp_path)
    try:
        t.wait_for("[1] uvm>")
        t.send(":inspect traits integer\r")
        t.wait_for("[2] uvm>")
        t.send("3 + 4\r")                          # short output is not paged
        t.wait_for("[3] uvm>")
        t.send("\x04")
        assert t.finish() == 0
    finally:
        if t.child.isalive():
            t.child.terminate(force=True)
    text = paged.read_text()
    assert text.startswith("traits integer: ") and "factorial" in text
    assert "\n7\n" not in text and "7" in t.text()


def test_short_or_piped_output_is_not_paged(image, tmp_path, monkeypatch):
    monkeypatch.setenv("PAGER", f"cat > {tmp_path / 'paged.txt'}")
    Driver(image).run(":inspect traits integer\r\x04")           # not a terminal
    assert not (tmp_path / "paged.txt").exists()


def test_browsing_commands_complete_selectors(session):
    from uvm.repl.completion import complete
    assert [c.text for c in complete(session, ":senders factor", 15)] == ["factorial"]
    assert "printString" in [c.text for c in complete(session, ":implementors print", 19)]
