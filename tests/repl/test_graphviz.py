"""``:graph`` drawn by the real Graphviz ``dot`` (Debian's graphviz package; CI installs
it): the SVG parses and shows the object's slots, the PNG is a PNG. The path without
Graphviz is tested in test_commands.py with an empty PATH."""
from __future__ import annotations

import os
import struct
from xml.etree import ElementTree

import pytest

from tests.conftest import require_program


@pytest.fixture
def point(image, session):
    require_program("dot", "graphviz")
    image.eval("lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 3. y <- 4. "
               "norm = ((x * x) + (y * y)) |) |)")
    return session


def texts(svg: bytes) -> list[str]:
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_svg_from_real_dot_shows_the_slots_and_the_parent_chain(point, tmp_path):
    target = tmp_path / "point.svg"
    out = point.run(f":graph point {target}")
    assert out.kind == "command", out.error
    shown = texts(target.read_bytes())
    for slot in ("x <-", "y <-", "parent* =", "norm"):
        assert slot in shown, shown
    assert "3" in shown and "4" in shown
    assert "traits clonable" in shown and "lobby" in shown   # up the parent chain


def test_png_from_real_dot_is_a_png(point, tmp_path):
    target = tmp_path / "point.png"
    out = point.run(f":graph point {target}")
    assert out.kind == "command", out.error
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 50 and height > 50
    assert data[-8:-4] == b"IEND"


def test_a_host_value_is_drawn_with_its_trait(point, tmp_path):
    target = tmp_path / "three.svg"
    assert point.run(f":graph 3 {target}").kind == "command"
    shown = texts(target.read_bytes())
    assert "3" in shown and "traits integer" in shown and "factorial" in shown


def test_without_a_path_a_temporary_file_is_written_and_named(point, tmp_path, monkeypatch):
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    out = point.run(":graph 3")
    (written,) = out.files
    assert out.output == f"wrote {written}" and written.endswith("/3.svg")
    assert os.path.dirname(written) != str(here) and list(here.iterdir()) == []
    with open(written, "rb") as f:
        assert "traits integer" in texts(f.read())
    point.run("'a string'")                   # no argument: the last value
    (last,) = point.run(":graph").files
    assert last.endswith("/last-value.svg")
    with open(last, "rb") as f:
        assert "traits string" in texts(f.read())
