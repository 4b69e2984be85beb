"""Completion: what is offered in each context, and that it never runs user code."""
from __future__ import annotations

import pytest

from uvm.repl.completion import complete
from uvm.repl.session import Session

WORLD = """lobby _AddSlots: (|
  point = (| parent* = traits clonable. x <- 3. y <- 4.
             + p = ((clone x: x + p x) y: y + p y).
             distanceTo: p Via: q = (0) |).
  calls <- 0.
  sideEffect = (calls: calls + 1. point).
  trap = (| parent* = traits clonable. printString = (error: 'printString ran') |)
|)"""


@pytest.fixture
def session(image):
    image.eval(WORLD)
    return Session(image)


def texts(session, text, **kw):
    return [c.text for c in complete(session, text, **kw)]


def test_selectors_of_a_trait_reached_by_data_slots(session):
    assert texts(session, "traits integer fact") == ["factorial"]
    offered = texts(session, "traits integer ", explicit=False)
    assert {"even", "odd", "factorial", "+", "printString"} <= set(offered)
    assert offered.index("factorial") < offered.index("printString")   # nearest holder first


def test_slots_of_an_object(session):
    assert texts(session, "point x") == ["x", "x:"]
    offered = complete(session, "point ")
    names = [c.text for c in offered]
    assert names[:3] == ["+", "distanceTo:", "parent"]
    assert "clone" in names and "printString" in names
    meta = {c.text: c.meta for c in offered}
    assert meta["x"] == "data · point" and meta["clone"] == "method · traits clonable"


def test_literals_start_at_their_trait(session):
    assert "asUppercase" in texts(session, "'abc' asU")
    assert texts(session, "3 ev") == ["even"]
    assert "value:" in texts(session, "[:x | x] val")
    assert texts(session, "(3) ev") == ["even"]


def test_implicit_receiver_and_locals(session):
    assert texts(session, "poi") == ["point"]
    assert texts(session, "(| total <- 0 | 1 to: 3 Do: [| :i | tot") == ["total"]
    assert "i" in texts(session, "(| total <- 0 | 1 to: 3 Do: [| :i | ")
    assert texts(session, "", explicit=False) == []       # nothing pops up unasked
    assert "lobby" in texts(session, "", explicit=True)


def test_keyword_parts(session):
    cands = complete(session, "3 between: 1 A")
    assert [(c.text, c.display) for c in cands] == [("And:", "between:And:")]
    assert texts(session, "point distanceTo: point V") == ["Via:"]
    assert texts(session, "5 min: 4 X") == []


def test_primitives_only_when_asked_for(session):
    assert "_AddSlots:" in texts(session, "lobby _Ad")
    assert not any(t.startswith("_") for t in texts(session, "lobby "))


def test_nothing_inside_strings_comments_and_argument_names(session):
    assert texts(session, "'poi") == []
    assert texts(session, '"poi') == []
    assert texts(session, "[| :poi") == []
    assert texts(session, "16rF") == []


def test_commands_and_their_arguments(session, tmp_path, monkeypatch):
    assert texts(session, ":ins") == [":inspect"]
    assert set(texts(session, ":")) >= {":help", ":inspect", ":undo", ":graph", ":quit"}
    assert texts(session, ":debug o") == ["on", "off"]
    assert texts(session, ":mode v") == ["vi"]
    assert texts(session, ":help gr") == ["graph"]
    assert texts(session, ":inspect poi") == ["point"]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "shapes.uvm").write_text("")
    (tmp_path / "sub").mkdir()
    assert texts(session, ":filein sh") == ["shapes.uvm"]
    assert texts(session, ":filein s") == ["shapes.uvm", "sub/"]
    assert texts(session, ":graph point sh") == []      # code: no slot starts with sh
    assert texts(session, ":graph point ./sh") == ["./shapes.uvm"]


def test_completion_never_runs_code(session, image):
    # sideEffect is a method: resolving it would run it; trap's printString would fail.
    assert texts(session, "sideEffect ") == []
    assert texts(session, "sideEffect x", explicit=True) == ["x", "x:"]   # any object's slots
    assert "printString" in texts(session, "trap ")
    for text in ("sideEffect ", "sideEffect x", "sideEffect between: 1 A", "trap pr"):
        complete(session, text)
    assert image.eval("calls") == 0


def test_unknown_receivers_fall_back_to_known_selectors(session):
    offered = complete(session, "sideEffect dista")
    assert [(c.text, c.meta) for c in offered] == [("distanceTo:", "some object")]
