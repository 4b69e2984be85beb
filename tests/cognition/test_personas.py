"""The personas and their codex in the image, and their inference from UVM code.

Inference runs here on the ``script:`` and ``replay:`` test doubles; the real embedded model
answers in tests/cognition/test_facets.py (one facet end to end)."""
from __future__ import annotations

import json
import os
import shutil

import pytest

import uvm
from tests.conftest import REPO
from tests.llm.conftest import needs_ml
from uvm.cognition.personas import (INFERENCES, codex_of, facet_selector, personas_of,
                                    use_counts)
from uvm.image.bootstrap import CORE_VERSION
from uvm.image.fileout import file_out
from uvm.llm import settings
from uvm.runtime.errors import UvmError

PERSONAS = ["ROBIN", "BRICK", "BABS", "ALFRED"]
PROTOCOLS = {"ROBIN": "Receptive Resonance Amplification", "BRICK": "Absurd Synthesis",
             "BABS": "Digital Cartography of the Absurd", "ALFRED": "Doubt Protocol"}


def check_the_mind(im) -> None:
    assert im.eval("mind personas printString") == "list(ROBIN, BRICK, BABS, ALFRED)"
    for name in PERSONAS:
        low = name.lower()
        assert im.eval(f"{low} name") == name
        assert im.eval(f"(mind personaNamed: '{low}') == {low}") is True
        assert im.eval(f"{low} protocol") == PROTOCOLS[name]
        assert im.eval(f"{low} cemComponent") in ("H_rel", "H_cog", "H_sol", "H_struc")
        assert im.eval(f"{low} adapter") == name
        assert im.eval(f"{low} pillars size") == 3
        for i in range(3):
            intent = im.eval(f"({low} pillars at: {i}) intent")
            assert isinstance(intent, str) and len(intent.split()) >= 15
    assert im.eval("(robin pillars collect: [| :p | p name]) printString") == \
        "list('Sage', 'Simple Heart', 'Joyful Spark')"
    assert im.eval("(robin pillarNamed: 'Sage') intent").endswith(
        "Offer acceptance and presence, not solutions.")
    assert len({im.eval(f"{p.lower()} mandate") for p in PERSONAS}) == 4


def test_the_mind_and_its_four_personas_exist_after_bootstrap(image):
    check_the_mind(image)
    codexes = [codex_of(p) for p in personas_of(image.lobby)]
    assert [c.name for c in codexes] == PERSONAS
    assert len({p.selector for c in codexes for p in c.pillars}) == 12
    assert all(len(c.utterances) >= 5 for c in codexes)


def test_an_image_made_before_the_mind_gets_it_by_the_upgrade(tmp_path):
    data = os.path.join(REPO, "tests", "image", "data")
    for name in ("image-0.1.0.fs", "image-0.1.0.blobs"):  # core version 1
        src = os.path.join(data, name)
        (shutil.copytree if os.path.isdir(src) else shutil.copy)(src, str(tmp_path / name))
    with uvm.open(str(tmp_path / "image-0.1.0.fs")) as im:
        check_the_mind(im)
        assert im.eval("memo twice: 21") == 42               # its own objects untouched
        assert im.connection.root()["uvm.core_version"] == CORE_VERSION


def test_an_image_of_core_version_6_is_upgraded_to_the_mind(tmp_path):
    path = str(tmp_path / "v6.fs")
    with uvm.open(path) as im:   # make it look like a version-6 image: no mind yet
        g = im.lobby._slots["globals"]
        for name in ("mind", "robin", "brick", "babs", "alfred"):
            g.remove_slot(name)
        for name in ("persona", "pillar", "cognitive"):
            im.lobby._slots["traits"].remove_slot(name)
        im.connection.root()["uvm.core_version"] = 6
        im.tm.commit()
    with uvm.open(path) as im:
        check_the_mind(im)
        assert im.history(1)[0].origin == "upgrade"


def test_a_persona_files_out_as_source_and_back_to_an_equal_object(tmp_path, image):
    image.eval("robin addPillar: 'Gardener' Intent: 'Speak as a patient gardener.'")
    text = file_out(image.lobby, "robin")
    assert "name <- 'ROBIN'" in text and "parent* = traits persona" in text
    assert "name <- 'Gardener'" in text and "Offer acceptance and presence" in text
    (tmp_path / "robin.uvm").write_text(text)
    with uvm.open(str(tmp_path / "other.fs")) as other:
        assert other.eval("robin pillars size") == 3
        other.eval(text, str(tmp_path / "robin.uvm"), "filein")
        assert other.eval("robin pillars size") == 4
        assert other.eval("(robin pillarNamed: 'Gardener') intent") == "Speak as a patient gardener."
        assert codex_of(other.eval("robin")) == codex_of(image.eval("robin"))
        assert file_out(other.lobby, "robin").split("\n", 1)[1] == text.split("\n", 1)[1]


def test_a_user_adds_a_pillar_and_a_fifth_persona(image):
    image.eval("robin addPillar: 'Gardener' Intent: 'Speak as a patient gardener.'")
    assert image.eval("robin pillarNames printString") == \
        "list('Sage', 'Simple Heart', 'Joyful Spark', 'Gardener')"
    assert image.eval("(robin pillarNamed: 'Gardener') selector") == "gardener:"
    image.eval("robin addPillar: 'Gardener' Intent: 'Tend what grows.'")   # replaces the intent
    assert image.eval("robin pillars size") == 4
    assert image.eval("(robin pillarNamed: 'Gardener') intent") == "Tend what grows."
    image.eval("robin removePillar: 'Gardener'")
    assert image.eval("robin pillars size") == 3
    image.eval("lobby _AddSlots: (| wren <- nil |). "
               "wren: ((mind persona copy name: 'WREN') mandate: 'Notice small things.'). "
               "wren addPillar: 'Birdsong' Intent: 'Answer in the spirit of a morning song.'. "
               "mind addPersona: wren")
    assert image.eval("mind printString") == "mind(ROBIN, BRICK, BABS, ALFRED, WREN)"
    assert image.eval("(mind personaNamed: 'wren') == wren") is True
    assert image.eval("mind persona pillars size") == 0        # the prototype kept its own
    assert image.eval("wren adapter") is None
    with pytest.raises(UvmError, match="has no pillar named 'Nope'"):
        image.eval("robin pillarNamed: 'Nope'")
    with pytest.raises(UvmError, match="no persona named 'ZED'"):
        image.eval("mind personaNamed: 'ZED'")


def test_facet_selectors_come_from_pillar_names():
    assert facet_selector("Sage") == "sage:"
    assert facet_selector("Simple Heart") == "simpleHeart:"
    assert facet_selector("Tamland Engine") == "tamlandEngine:"
    assert facet_selector("the 3rd way!") == "the3rdWay:"
    assert facet_selector("42 answers") == "facet42Answers:"


# --- inference --------------------------------------------------------------------------------------

def test_infer_answers_from_the_persona_adapter_and_is_recorded(tmp_path, scripted):
    with uvm.open(str(tmp_path / "i.fs")) as im:
        backend = scripted(im, "  I am here with you.  ", "Be brief, then.")
        assert im.eval("robin infer: 'A hard day.'") == "I am here with you."
        assert im.eval("alfred infer: 'Tea?' System: 'Answer in three words.'") == "Be brief, then."
        first, second = backend.requests
        assert first.adapter == "ROBIN" and first.messages == (("user", "A hard day."),)
        assert second.adapter == "ALFRED"
        assert second.messages == (("system", "Answer in three words."), ("user", "Tea?"))
        entry = im.db.undoLog(0, 1)[0]
        [record] = entry[INFERENCES]
        assert record["persona"] == "ALFRED" and record["adapter"] == "ALFRED"
        assert record["pillar"] is None and len(record["system"]) == 12
        assert record["tiers"] == [] and record["tokens"] is None  # a double has neither
        assert record["seconds"] >= 0 and record["backend"].startswith("script:")
        assert use_counts(im) == {"ROBIN": 1, "ALFRED": 1}


def test_infer_pillar_uses_the_pillar_intent_as_system_prompt(scripted, image):
    backend = scripted(image, "Peace.")
    image.eval("robin infer: 'Why?' Pillar: 'Sage'")
    intent = image.eval("(robin pillarNamed: 'Sage') intent")
    assert backend.requests[0].messages[0] == ("system", intent)


def test_a_persona_without_an_adapter_asks_the_base_model(scripted, image):
    backend = scripted(image, "Chirp.")
    image.eval("lobby _AddSlots: (| wren <- nil |). wren: (mind persona copy name: 'WREN')")
    assert image.eval("wren infer: 'Morning?'") == "Chirp."
    assert backend.requests[0].adapter is None


def test_infer_without_a_model_is_a_clear_error_and_changes_nothing(image):
    settings.configure_run(no_llm=True)
    with pytest.raises(UvmError, match=r"ROBIN infer: the model could not answer: .*--no-llm"):
        image.eval("robin mandate: 'X'. robin infer: 'Hello'")
    assert image.eval("robin mandate") != "X"
    with pytest.raises(UvmError, match="needs a string"):
        image.eval("robin infer: 3")


def test_infer_replays_what_a_recording_run_saved(tmp_path, image):
    recording = str(tmp_path / "rec.jsonl")
    script = str(tmp_path / "s.jsonl")
    with open(script, "w") as f:
        f.write(json.dumps({"text": "Fun fact!"}) + "\n")
    settings.configure_run(f"script:{script}", record=recording)   # a recording run
    assert image.eval("babs infer: 'Hello'") == "Fun fact!"
    settings.configure_run(f"replay:{recording}")                  # later: replayed
    assert image.eval("babs infer: 'Hello'") == "Fun fact!"
    with pytest.raises(UvmError, match="never recorded this request"):
        image.eval("babs infer: 'Something else'")


def test_a_terminal_shows_the_persona_answering(scripted, image, monkeypatch, capsys):
    from uvm.llm import progress
    monkeypatch.setattr(progress, "on_terminal", lambda: True)
    scripted(image, "Here.")
    assert image.eval("robin infer: 'Hello'") == "Here."
    err = capsys.readouterr().err
    assert "\r\x1b[K| ROBIN answering" in err and err.endswith("\r\x1b[K")  # drawn, then erased


def test_ctrl_c_while_a_persona_answers_leaves_nothing(image):
    from uvm.llm.backend import Backend

    class Interrupted(Backend):
        def _stream(self, request):
            yield "Let's"
            raise KeyboardInterrupt  # as if Ctrl-C came while the model was answering

    settings.configure_run("script:" + os.devnull)
    settings.use_backend(image, Interrupted("interrupted"))
    with pytest.raises(KeyboardInterrupt):
        image.eval("robin mandate: 'X'. robin infer: 'Hello'")
    assert image.eval("robin mandate") != "X"


def test_a_persona_answer_past_the_time_limit_stops_with_the_reason(image, monkeypatch):
    import time

    from uvm.llm.backend import Backend

    class Slow(Backend):
        def _stream(self, request):
            for _ in range(50):
                time.sleep(0.02)
                yield "."

    settings.configure_run("script:" + os.devnull)
    settings.use_backend(image, Slow("slow"))
    monkeypatch.setenv("UVM_LLM_TIMEOUT", "0.1")
    with pytest.raises(UvmError, match=r"took longer than 0.1 s \(\$UVM_LLM_TIMEOUT"):
        image.eval("robin infer: 'Hello'")


def test_the_codex_reads_without_running_uvm_code(image):
    image.eval("robin _AddSlots: (| printString = (error: 'broken') |)")
    codex = codex_of(image.eval("robin"))
    assert codex.name == "ROBIN" and codex.pillars[0].selector == "sage:"
    assert codex.route_texts()[0] == codex.pillars[0].intent



def test_a_persona_knows_where_its_adapter_is(image):
    assert "not in this image yet (`uvm awaken` imports it)" in image.eval("robin adapterInfo")
    assert "no adapter of its own" in image.eval("mind persona adapterInfo")


@needs_ml
def test_in_an_awakened_image_the_adapter_is_a_blob_of_the_pllm(awake):
    image, _ = awake
    from uvm.llm.pllm import get_pllm
    proxy = get_pllm(image).adapters["BABS"]
    info = image.eval("babs adapterInfo")
    assert info.startswith("BABS: a BLOB in this image's pLLM") and proxy.digest[:12] in info
