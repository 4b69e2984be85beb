"""Blobs, packing and version records."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import transaction
from ZODB.blob import Blob

import uvm
from uvm.image.image import ImageError

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")


def put_blob(image, payload: bytes) -> None:
    blob = Blob()
    with blob.open("w") as f:
        f.write(payload)
    image.lobby.define_slot("weights", blob, 0)
    image.tm.commit()


@pytest.mark.parametrize("memory", [True, False])
def test_large_values_live_in_blobs(tmp_path, memory):
    payload = os.urandom(3 * 1024 * 1024)
    path = None if memory else str(tmp_path / "b.fs")
    with uvm.open(path, memory=memory) as im:
        put_blob(im, payload)
        with im.lobby._slots["weights"].open("r") as f:
            assert f.read() == payload
    if not memory:
        assert os.path.getsize(path) < 100_000            # the data is not in the file...
        blob_bytes = sum(os.path.getsize(os.path.join(d, f))
                         for d, _, fs in os.walk(str(tmp_path / "b.blobs")) for f in fs)
        assert blob_bytes >= len(payload)                 # ...it is in the blob directory
        with uvm.open(path) as im:
            with im.lobby._slots["weights"].open("r") as f:
                assert f.read() == payload


def test_pack_drops_old_revisions(tmp_path):
    path = str(tmp_path / "p.fs")
    with uvm.open(path) as im:
        im.eval("lobby _AddSlots: (| big <- '' |)")
        for i in range(30):
            im.eval(f"big: '{'z' * 2000}{i}'")
    before = os.path.getsize(path)
    p = subprocess.run([sys.executable, "-m", "uvm.cli", "pack", "--image", path],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("packed:")
    assert before - os.path.getsize(path) > 25 * 2000   # most of the 29 old revisions went
    with uvm.open(path) as im:
        assert im.eval("big size") == 2002


def test_images_record_their_versions_and_refuse_newer_ones(tmp_path):
    path = str(tmp_path / "v.fs")
    with uvm.open(path) as im:
        root = im.connection.root()
        assert root["uvm.version"] == uvm.__version__
        root["uvm.core_version"] = 999
        im.tm.commit()
    with pytest.raises(ImageError, match="newer UVM"):
        uvm.open(path)


def test_an_image_made_by_release_0_1_0_still_opens(tmp_path):
    """tests/image/data/image-0.1.0.fs was written by UVM 0.1.0: persistent classes must
    keep importable names so old images keep loading."""
    for name in ("image-0.1.0.fs", "image-0.1.0.blobs"):
        src = os.path.join(DATA, name)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, str(tmp_path / name))
    with uvm.open(str(tmp_path / "image-0.1.0.fs")) as im:
        assert im.eval("memo items printString") == "list('made by 0.1.0')"
        assert im.eval("memo twice: 21") == 42
        assert im.eval("3 + 4") == 7
        # opening it upgraded its core world to this release's (trees came with version 2)
        assert im.history(1)[0].origin == "upgrade"
        assert im.eval("(| t | t: tree copy. t at: 'k' Put: 1. t size)") == 1
        # ... intents came with version 3, examples with version 4
        im.eval("memo intend: 'thrice:' As: 'three times n'. memo intend: 'thrice:' "
                "Example: 'memo thrice: 2' Gives: 6")
        # (kept as notes, not slots, since version 6)
        from uvm.runtime import intents
        memo = im.lobby._slots["memo"]
        assert intents.examples(memo, "thrice:") == [("memo thrice: 2", 6)]
        assert intents.intent(memo, "thrice:") == "three times n"
        assert "examples" not in memo._slots and "intents" not in memo._slots
        # ... and Self fidelity with version 5
        assert im.eval("(1 & 2) asList = (1 & 2) asList") is True
        assert im.eval("true ifTrue: 1 False: 2") == 1
        assert im.eval("-7 % 2") == -1
        assert im.eval("(| s | s: set copy. s add: 1. s add: true. s add: 1. s size)") == 2
        assert im.print_string(im.eval("traits integer")).startswith("(| parent*.")
        assert core_world(im.lobby) == fresh_core_world()


def core_world(lobby) -> dict:
    """Each core object's slots: name -> method source (or the kind of value)."""
    from uvm.runtime.objects import Method, UvmObject
    objects = {"defaultBehavior": lobby._slots["defaultBehavior"],
               "globals": lobby._slots["globals"]}
    for name, trait in lobby._slots["traits"]._slots.items():
        objects[f"traits {name}"] = trait
    return {path: {slot: (value.source if isinstance(value, Method) else
                          "object" if isinstance(value, UvmObject) else type(value).__name__)
                   for slot, value in obj._slots.items()}
            for path, obj in objects.items()}


def fresh_core_world() -> dict:
    with uvm.open(memory=True) as im:  # (read while open: a memory image loads on demand)
        return core_world(im.lobby)
