"""A model-written method's provenance, shown in words and kept across a file-out/file-in
round trip through the real ``uvm`` command on real file images. The method is written by
the ``script:`` test double."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import uvm
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import methods as M
from uvm.llm.synthesis import pipeline

GREET = "def greet_(self, name):\n    return 'hello ' + name\n"


def uvm_cli(*args):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True,
                          text=True, timeout=120)


def written(tmp_path) -> str:
    """A file image where the model wrote calc greet: for ``calc greet: 'abba'``."""
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"text": GREET}) + "\n")
    path = str(tmp_path / "a.fs")
    with uvm.open(path) as im:
        pipeline.install(im, backend=ScriptBackend("script:" + str(answers), str(answers)))
        try:
            im.eval("lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)")
            assert im.eval("calc greet: 'abba'") == "hello abba"
        finally:
            pipeline.uninstall()
    return path


def test_provenance_is_shown_in_words(tmp_path):
    path = written(tmp_path)
    shown = uvm_cli("methods", "show", "calc", "greet:", "--image", path)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert re.search(r"written: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", text)
    assert "first send: calc greet: 'abba'" in text            # the send as UVM source
    assert "{'receiver'" not in text and not re.search(r"\d{10}\.\d", text)
    listed = uvm_cli("methods", "--image", path)
    assert re.search(r"greet: +calc .* \d{4}-\d\d-\d\d ", listed.stdout)


def test_file_out_and_in_keeps_the_provenance(tmp_path):
    path = written(tmp_path)
    source = tmp_path / "calc.uvm"
    out = uvm_cli("fileout", "calc", "--image", path, "-o", str(source))
    assert out.returncode == 0, out.stderr
    text = source.read_text()
    assert "''abba''" not in text                               # not mangled
    assert '"greet: was written by script:' in text             # in words, as a comment
    fresh = str(tmp_path / "b.fs")
    back = uvm_cli("filein", str(source), "--image", fresh)
    assert back.returncode == 0, back.stderr
    listed = uvm_cli("methods", "--image", fresh, "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    with uvm.open(path, read_only=True) as before:
        (original,) = M.synthesized_methods(before)
    assert row["selector"] == "greet:" and row["provenance"] == original.provenance
    assert row["source"].strip() == GREET.strip()
    with uvm.open(fresh) as im:         # and the annotation did not stay on the slot
        calc = im.lobby._slots["calc"]
        assert calc.annotations_of("greet:") == ()
        assert im.eval("calc greet: 'you'") == "hello you"
