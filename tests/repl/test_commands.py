"""The :commands, run through a Session (the REPL and the kernel share it)."""
from __future__ import annotations

import pytest

import uvm
from uvm.repl.commands import COMMANDS
from uvm.repl.session import Session


@pytest.fixture
def file_session(tmp_path):
    with uvm.open(str(tmp_path / "img.fs")) as image:
        yield Session(image)


def test_help_lists_every_command(session):
    text = session.run(":help").output
    for name in COMMANDS:
        assert f":{name}" in text
    assert ":undo [ID]" in session.run(":help undo").output
    assert session.run(":help nosuch").kind == "error"


def test_unknown_command_suggests_one(session):
    out = session.run(":insp")
    assert out.kind == "error" and "did you mean :inspect" in out.error


def test_inspect_shows_slots_parents_methods_and_provenance(session, image):
    image.eval("lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 3. "
               "+ p = (x + p x). area = py'''\n    def area(self):\n        return self.x\n''' |) |)")
    method = image.lobby._slots["point"]._slots["area"]
    method.provenance = {"model": "smollm2", "persona": "BRICK", "attempts": 2}
    text = session.run(":inspect point").output
    assert text.splitlines()[0].startswith("point: ")
    assert "parents: parent* = traits clonable" in text
    assert "lookup:  point -> traits clonable -> lobby" in text
    assert "x <- 3" in text
    assert "+ p = method (<input>:1:" in text and "(x + p x)" in text
    assert "area = python method" in text and "return self.x" in text
    assert "written by smollm2 as BRICK, attempt 2" in text


def test_inspect_host_values_and_the_last_value(session):
    assert "an integer" in session.run(":inspect 3").output
    assert "behaviour from traits string" in session.run(":inspect 'a'").output
    assert session.run(":inspect").kind == "error"        # no last value yet
    session.run("(3 & 4) asList")
    assert "a list" in session.run(":inspect").output


def test_inspect_of_a_path_runs_no_code(session, image):
    image.eval("lobby _AddSlots: (| n <- 0. counter = (| parent* = traits clonable. "
               "printString = (error: 'no') |) |)")
    assert "counter" in session.run(":inspect counter").output
    out = session.run(":inspect n: n + 1")     # not a path: evaluated, like typing it
    assert out.kind == "command" and image.eval("n") == 1


def test_inspect_reports_errors(session):
    out = session.run(":inspect nil zork")
    assert out.kind == "error" and "doesNotUnderstand: #zork" in out.error
    assert session.run(":inspect 3 +").kind == "error"


def test_history_and_undo(file_session):
    s = file_session
    s.run("lobby _AddSlots: (| a <- 1 |)")
    s.run("a: 2")
    lines = s.run(":history").output.splitlines()
    assert "a: 2" in lines[1] and "repl" in lines[1]
    assert "lobby _AddSlots: (| a <- 1 |)" in lines[2]
    assert len(s.run(":history 1").output.splitlines()) == 2
    assert s.run(":history x").kind == "error"
    out = s.run(":undo")
    assert out.kind == "command" and "undid" in out.output and "a: 2" in out.output
    assert s.image.eval("a") == 1
    assert "lobby _AddSlots" in s.run(":undo").output      # the next one back
    assert s.run("lobby _SlotNames includes: 'a'").output == "false"


def test_undo_by_id_and_refusals(file_session):
    s = file_session
    s.run("lobby _AddSlots: (| b <- 1 |)")
    first = s.image.history(1)[0].id
    s.run("b: 5")
    out = s.run(f":undo {first}")
    assert out.kind == "error" and "later evaluation" in out.error
    assert s.run(":undo zzz").kind == "error"
    assert s.image.eval("b") == 5


def test_history_of_an_in_memory_image(session):
    assert "keeps no history" in session.run(":history").output
    assert session.run(":undo").kind == "error"


def test_filein_is_one_transaction(session, image, tmp_path):
    good, bad = tmp_path / "good.uvm", tmp_path / "bad.uvm"
    good.write_text("lobby _AddSlots: (| filed = 7 |).\n")
    bad.write_text("lobby _AddSlots: (| half = 1 |).\nnil zork.\n")
    assert session.run(f":filein {good}").output == f"filed in {good}"
    assert image.eval("filed") == 7
    out = session.run(f":filein {bad}")
    assert out.kind == "error" and "nothing was filed in" in out.error
    assert image.eval("lobby _SlotNames includes: 'half'") is False
    assert session.run(":filein /no/such.uvm").kind == "error"
    assert session.run(":filein").kind == "error"


def test_fileout_writes_source_that_files_back_in(session, image, tmp_path):
    image.eval("lobby _AddSlots: (| bank = (| parent* = traits clonable. balance <- 10. "
               "deposit: n = (balance: balance + n) |) |)")
    target = tmp_path / "bank.uvm"
    out = session.run(f":fileout bank {target}")
    assert out.kind == "command" and "wrote bank" in out.output
    shown = session.run(":fileout bank").output
    assert "deposit: n = (balance: balance + n)" in shown
    with uvm.open(memory=True) as fresh:
        fresh.run_file(str(target))
        assert fresh.eval("(bank deposit: 5) balance") == 15
    assert session.run(":fileout (bank) x.uvm").kind == "error"
    assert session.run(":fileout nosuch x.uvm").kind == "error"


def test_graph_writes_dot_and_shows_it_without_graphviz(session, image, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    image.eval("lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 3 |) |)")
    shown = session.run(":graph point")
    assert shown.output.startswith("digraph uvm {") and "Graphviz" in shown.output
    dot = tmp_path / "p.dot"
    assert session.run(f":graph point {dot}").output == f"wrote {dot}"
    assert "traits clonable" in dot.read_text()
    svg = session.run(f":graph point {tmp_path / 'p.svg'}")
    assert "not installed" in svg.output and (tmp_path / "p.dot").exists()


def test_model_approve_debug_mode_quit(session):
    assert "backend: " in session.run(":model").output
    assert session.approve is True
    assert session.run(":approve off").output.startswith("approval of model-written methods is off")
    assert session.approve is False and "off" in session.run(":approve").output
    assert session.run(":approve maybe").kind == "error"
    session.run(":debug on")
    assert session.debug and "Traceback" in session.run("nil zork").error
    session.run(":debug off")
    assert "Traceback" not in session.run("nil zork").error
    assert session.run(":mode vi").output == "editing mode: vi" and session.editing_mode == "vi"
    assert session.run(":mode ed").kind == "error"
    assert not session.done
    session.run(":q")
    assert session.done


def test_commands_change_nothing_in_history(file_session, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = file_session
    before = len(s.image.history(100))
    for text in (":help", ":inspect lobby", ":model", ":graph lobby x.dot", ":history"):
        s.run(text)
    assert len(s.image.history(100)) == before
