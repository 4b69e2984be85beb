"""File-out writes readable source; filing it into a fresh image gives an equal object."""
from __future__ import annotations

import subprocess
import sys

import pytest

import uvm
from uvm.image.fileout import FileOutError, file_out
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmDict, Method, UvmObject

DEFINE = """
lobby _AddSlots: (| shapes = (| parent* = traits clonable |) |).
shapes _AddSlots: (| base = (| parent* = traits clonable. name = ('shape') |) |).
lobby _AddSlots: (| circle = (|
    {} = 'A circle; radius in metres'.
    parent* = shapes base.
    radius <- 2.
    tags <- ('round' & 'smooth') asList.
    one <- [| l | l: list copy. l add: 7. l] value.
    props <- [| d | d: dictionary copy. d at: 'k' Put: -1.5. d] value.
    label <- 'it''s'.
    nothing.
    flag <- false.
    nested <- (| depth <- 3. inner = (| leaf = 'x' |) |).
    { 'Category: geometry'
      area = py'''
def area(self):
    return round(3.14159 * self.radius ** 2, 2)
'''.
      scale: f = (radius: radius * f. self).
      { 'Category: ops' + other = (area + other area) }
    }
    at: i Put: v = (tags at: i Put: v).
    describe = (name , ' r=' , radius printString) |) |).
"""
DEFINE = DEFINE.replace("'it''s'", "'it\\'s'")


def build(image):
    image.eval(DEFINE)
    circle = image.lobby._slots["circle"]
    # a model-written method carries its provenance
    circle._slots["area"].provenance = {"model": "scripted", "attempts": 2}
    circle._p_changed = True
    image.tm.commit()


def slot_shape(obj: UvmObject):
    """Everything that makes two objects equal for file-out: names, kinds, annotations,
    method sources, and data values (objects compared by shape, recursively)."""
    rows = []
    for name, kind in obj._kinds.items():
        v = obj._slots[name]
        if type(v) is Method:
            shown = (v.language, v.source.strip(), v.arg_names)
        elif isinstance(v, UvmObject):
            shown = slot_shape(v) if name != "parent" else "parent"
        elif isinstance(v, UvmDict):
            shown = ("UvmDict", repr(v.items()))
        elif hasattr(v, "data"):
            shown = (type(v).__name__, repr(dict(v.data) if isinstance(v.data, dict) else list(v.data)))
        else:
            shown = v
        rows.append((name, kind, obj.annotations_of(name), shown))
    return rows


def test_round_trip_gives_an_equal_object(tmp_path):
    with uvm.open(memory=True) as a:
        build(a)
        text = file_out(a.lobby, "circle", "a.fs")
        original = slot_shape(a.lobby._slots["circle"])
        behaviour = a.eval("(circle clone scale: 2) area printString , ' ' , (circle + circle) printString , ' ' , circle describe")
    (tmp_path / "circle.uvm").write_text(text)
    with uvm.open(memory=True) as b:
        b.eval("lobby _AddSlots: (| shapes = (| parent* = traits clonable |) |). "
               "shapes _AddSlots: (| base = (| parent* = traits clonable. name = ('shape') |) |)")
        b.run_file(str(tmp_path / "circle.uvm"), origin="filein")
        copy = b.lobby._slots["circle"]
        assert slot_shape(copy) == original
        assert copy.object_annotation() == "A circle; radius in metres"
        # provenance travels as an annotation on the method, not as one of the object's
        assert copy._slots["area"].provenance == {"model": "scripted", "attempts": 2}
        assert b.eval("(circle clone scale: 2) area printString , ' ' , (circle + circle) printString , ' ' , circle describe") == behaviour
        assert copy._slots["parent"] is b.eval("shapes base")


def test_the_file_is_readable_source():
    with uvm.open(memory=True) as a:
        build(a)
        text = file_out(a.lobby, "circle")
    assert "parent* = shapes base." in text
    assert "scale: f = (radius: radius * f. self)" in text
    assert "at: i Put: v = (tags at: i Put: v)" in text
    assert "+ other = (area + other area)" in text
    assert "{ 'Category: geometry'" in text
    assert '"area was written by scripted, attempt 2"' in text          # in words
    assert """{ 'provenance {"attempts": 2, "model": "scripted"}'""" in text   # kept
    assert "area = py'''" in text and "def area(self):" in text
    assert "tags <- ('round' & 'smooth') asList." in text


def test_filing_in_twice_updates_in_place(tmp_path):
    with uvm.open(memory=True) as a:
        a.eval("lobby _AddSlots: (| acct = (| parent* = traits clonable. n <- 5. twice = (n * 2) |) |)")
        text = file_out(a.lobby, "acct")
        a.eval("acct n: 6. acct _AddSlots: (| extra = 1 |)")
        holder = a.lobby._slots["acct"]
        a.eval(text)
        assert a.lobby._slots["acct"] is holder          # same object, updated
        assert a.eval("acct n") == 5 and a.eval("acct extra") == 1


def test_nested_paths_and_traits(tmp_path):
    with uvm.open(memory=True) as a:
        a.eval("traits integer _AddSlots: (| double = (self * 2) |)")
        text = file_out(a.lobby, "traits.integer")
    assert text.count("(traits _SlotNames includes: 'integer')") == 1
    assert "double = (self * 2)" in text
    with uvm.open(memory=True) as b:
        b.eval(text)
        assert b.eval("21 double") == 42
        assert b.eval("3 + 4") == 7


def test_a_broken_file_changes_nothing(tmp_path):
    bad = tmp_path / "bad.uvm"
    bad.write_text("lobby _AddSlots: (| a = 1 |).\nnil frobnicate.\n")
    img = str(tmp_path / "i.fs")
    uvm.open(img).close()
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "filein", "--image", img, str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and f"{bad}:2:" in p.stderr and "nothing was filed in" in p.stderr
    syntax = tmp_path / "syntax.uvm"
    syntax.write_text("lobby _AddSlots: (| b = 1 |).\n(| x = |)\n")
    q = subprocess.run([sys.executable, "-m", "uvm.cli", "filein", "--image", img, str(syntax)],
                       capture_output=True, text=True, timeout=60)
    assert q.returncode == 1 and f"{syntax}:2:" in q.stderr
    with uvm.open(img) as im:
        assert im.eval("lobby _SlotNames includes: 'a'") is False
        assert im.eval("lobby _SlotNames includes: 'b'") is False


def test_fileout_and_filein_commands(tmp_path):
    src, dst = str(tmp_path / "src.fs"), str(tmp_path / "dst.fs")
    with uvm.open(src) as a:
        a.eval("lobby _AddSlots: (| memo = (| parent* = traits clonable. items <- list copy. note: s = (items add: s. self) |) |). memo note: 'x'")
    out = tmp_path / "memo.uvm"
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "fileout", "memo", "--image", src, "-o", str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    q = subprocess.run([sys.executable, "-m", "uvm.cli", "filein", "--image", dst, str(out)],
                       capture_output=True, text=True, timeout=60)
    assert q.returncode == 0, q.stderr
    with uvm.open(dst) as b:
        assert b.eval("(memo note: 'y') items printString") == "list('x', 'y')"
        assert b.history(2)[1].origin == "filein"


def test_unknown_paths_and_values_without_source(image):
    with pytest.raises(FileOutError, match="no object at"):
        file_out(image.lobby, "nowhere")
    with pytest.raises(UvmError, match="pickle"):  # a Python module cannot be stored
        image.eval("lobby _AddSlots: (| pyobj <- nil |). pyobj: (python import: 'math')")
    image.eval("lobby _AddSlots: (| holder = (| m <- nil |) |)")
    image.lobby._slots["holder"]._slots["m"] = __import__("math")
    with pytest.raises(FileOutError, match="no source form"):
        file_out(image.lobby, "holder")


def test_fileout_from_a_freshly_opened_image_keeps_annotations(tmp_path):
    """Objects of a reopened image are ghosts until touched: file-out must load them."""
    path = str(tmp_path / "ghosts.fs")
    with uvm.open(path) as a:
        build(a)
    with uvm.open(path) as a:
        text = file_out(a.lobby, "circle")
    assert "{} = 'A circle; radius in metres'." in text
    assert "{ 'Category: geometry'" in text
