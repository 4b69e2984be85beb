"""Intents and examples are notes about an object, not slots of it: they stay out of its
printout, completion and slot list, travel with file-out as the sends that made them, and
older images' ``intents``/``examples`` slots become notes when the image is upgraded."""
from __future__ import annotations

import uvm
from uvm.image.fileout import file_out
from uvm.repl.completion import complete
from uvm.repl.session import Session
from uvm.runtime import intents

CALC = "lobby _AddSlots: (| calc = (| parent* = traits clonable. n <- 1 |) |)"
NOTES = ("calc intend: 'triple:' As: 'three times n'. "
         "calc intend: 'triple:' Example: 'calc triple: 2' Gives: 6")


def test_notes_are_not_slots(image):
    image.eval(CALC + ". " + NOTES)
    calc = image.lobby._slots["calc"]
    assert list(calc._slots) == ["parent", "n"]
    assert image.eval("calc _SlotNames size") == 2
    assert "intents" not in image.print_string(calc) and "examples" not in image.print_string(calc)
    names = [c.text for c in complete(Session(image), "calc ", 5)]
    assert "n" in names and "intents" not in names and "examples" not in names
    assert intents.intent(calc, "triple:") == "three times n"
    assert intents.examples(calc, "triple:") == [("calc triple: 2", 6)]
    clone = image.eval("calc clone")
    assert intents.intent(clone, "triple:") == "three times n"


def test_file_out_writes_the_sends_that_note_them(image):
    image.eval(CALC + ". " + NOTES)
    text = file_out(image.lobby, "calc")
    assert "intents" not in text.replace("intend:", "")
    assert "calc intend: 'triple:' As: 'three times n'." in text
    assert "calc intend: 'triple:' Example: 'calc triple: 2' Gives: 6." in text
    with uvm.open(memory=True) as fresh:
        fresh.eval(text)
        calc = fresh.lobby._slots["calc"]
        assert intents.notes(calc) == intents.notes(image.lobby._slots["calc"])
        assert list(calc._slots) == ["parent", "n"]


OLD_WAY = """calc _AddSlots: (| intents <- dictionary copy. examples <- dictionary copy |).
calc intents at: 'triple:' Put: 'three times n'.
calc examples at: 'triple:' Put: list copy.
(calc examples at: 'triple:') add: ('calc triple: 2' & 6) asList"""


def test_an_older_image_keeps_its_notes_as_notes(tmp_path):
    path = str(tmp_path / "old.fs")
    with uvm.open(path) as im:      # as an image of core version 5 had them: slots
        im.eval(CALC + ". " + OLD_WAY)
        root = im.connection.root()
        root["uvm.core_version"] = 5
        im.tm.commit()
    with uvm.open(path) as im:
        assert im.history(1)[0].origin == "upgrade"
        calc = im.lobby._slots["calc"]
        assert list(calc._slots) == ["parent", "n"]
        assert intents.intent(calc, "triple:") == "three times n"
        assert intents.examples(calc, "triple:") == [("calc triple: 2", 6)]
        im.eval("calc intend: 'half' As: 'n / 2'")     # the core world's new definitions
        assert list(calc._slots) == ["parent", "n"] and intents.intent(calc, "half") == "n / 2"
