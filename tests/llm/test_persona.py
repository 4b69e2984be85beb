"""``uvm persona train / import / list``, ``uvm awaken`` and ``uvm model status`` as
commands, on real files."""
from __future__ import annotations

import json

from tests.llm.conftest import needs_ml
from uvm.llm.commands import awaken_command, model_command, persona_command
from uvm.llm.pllm import bundled_adapters, read_adapter_config
from uvm.llm.safetensors_meta import read_metadata

pytestmark = needs_ml


def test_train_stores_an_adapter_with_its_settings_and_provenance(awake, tmp_path, capsys):
    data = tmp_path / "tiny.jsonl"
    data.write_text("".join(json.dumps({"prompt": p, "answer": a}) + "\n" for p, a in [
        ("Hello?", "Greetings, sir."), ("Tea?", "Right away, sir."),
        ("Time?", "It is time for tea, sir.")]))
    image = str(tmp_path / "t.fs")
    out = tmp_path / "tiny.safetensors"
    assert persona_command(["train", "jeeves", "--image", image, "--data", str(data),
                            "--steps", "2", "--batch", "2", "--rank", "4",
                            "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "persona JEEVES: trained 2 steps on 3 examples" in said
    config = read_adapter_config(str(out))
    assert config["r"] == 4 and "q_proj" in config["target_modules"]
    training = json.loads(read_metadata(str(out))["uvm.training"])
    assert training["steps"] == 2 and len(training["data_sha256"]) == 64
    assert persona_command(["list", "--image", image]) == 0
    assert "JEEVES" in capsys.readouterr().out
    # The trained adapter really runs through the memory manager of a fresh backend.
    import uvm
    from uvm.llm.settings import make_backend
    with uvm.open(image) as im:
        backend = make_backend("embedded", im)
        assert backend.complete("Tea?", max_tokens=4, adapter="JEEVES")
        assert backend.memory.tier("JEEVES") == "hot"
        backend.close()


def test_import_and_status(awake, tmp_path, capsys):
    image = str(tmp_path / "i.fs")
    assert awaken_command(["--image", image, "--no-personas"]) == 0
    assert "awakened: SmolLM2-135M-Instruct" in capsys.readouterr().out
    name, path = sorted(bundled_adapters().items())[0]
    assert persona_command(["import", name.lower(), path, "--image", image]) == 0
    assert model_command(["status", "--image", image, "--llm", "none"]) == 0
    out = capsys.readouterr().out
    assert "backend: none" in out and "SmolLM2-135M-Instruct" in out
    assert f"{name}" in out and "cold" in out
    assert persona_command(["import", "x", str(tmp_path / "missing.safetensors"),
                            "--image", image]) == 1
    assert "no adapter file" in capsys.readouterr().err
    assert awaken_command(["--image", image, "--llm", "openai:http://x"]) == 1
