"""The backend interface, the spec and the run's setting, and the test doubles
(script:, replay:). None of these needs torch."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from uvm.cli import main
from uvm.llm import settings
from uvm.llm.backend import Request, stop_filtered
from uvm.llm.doubles import RecordingBackend, ReplayBackend, ScriptBackend
from uvm.llm.errors import (BackendSpecError, LLMError, ModelFileError, NoModelError,
                            ReplayMissError)
from uvm.llm.settings import make_backend, parse_spec

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


@pytest.fixture(autouse=True)
def clean_setting(monkeypatch, tmp_path):
    monkeypatch.delenv("UVM_LLM", raising=False)
    monkeypatch.delenv("UVM_LLM_RECORD", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield
    settings._run_spec = None
    settings._backends.clear()


def test_specs_parse_and_bad_ones_are_refused():
    assert parse_spec("embedded") == ("embedded", "")
    assert parse_spec("gguf:/m/x.gguf") == ("gguf", "/m/x.gguf")
    assert parse_spec("openai:http://h:1/v1#qwen") == ("openai", "http://h:1/v1#qwen")
    for bad in ("bogus", "gguf:", "embedded:x", "script", "llama:foo"):
        with pytest.raises(BackendSpecError):
            parse_spec(bad)


def test_default_comes_from_env_then_config_file_then_embedded(monkeypatch, tmp_path):
    assert settings.configured_spec() == ("embedded", "default")
    cfg = tmp_path / "config" / "uvm" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('llm = "openai:http://127.0.0.1:9#m"\n')
    assert settings.configured_spec() == ("openai:http://127.0.0.1:9#m", str(cfg))
    monkeypatch.setenv("UVM_LLM", "none")
    assert settings.configured_spec() == ("none", "$UVM_LLM")
    assert settings.configure_run() == "none"
    assert settings.configure_run("script:x.jsonl") == "script:x.jsonl"  # the flag wins
    assert settings.configure_run("script:x.jsonl", no_llm=True) == "none"


def test_no_llm_backend_refuses_clearly():
    settings.configure_run(no_llm=True)
    with pytest.raises(NoModelError, match="--no-llm"):
        settings.backend_for(None).complete("hi")


def test_cli_refuses_a_bad_spec_and_stores_nothing_in_the_image(tmp_path, capsys):
    assert main(["--llm", "bogus", "--memory", "-c", "3"]) == 2
    assert "unknown language-model backend" in capsys.readouterr().err
    image = str(tmp_path / "i.fs")
    script = write_jsonl(tmp_path / "s.jsonl", [{"text": "x"}])
    assert main(["--llm", f"script:{script}", "--image", image, "-c", "3 + 4"]) == 0
    assert main(["--no-llm", "--image", image, "-c", "3 + 4"]) == 0
    import uvm
    with uvm.open(image) as im:
        root = im.connection.root()
        assert not [k for k in root.keys() if "llm" in k]


def test_importing_uvm_and_running_code_never_imports_torch():
    code = ("import sys, uvm; uvm.open(memory=True); import uvm.llm, uvm.llm.commands; "
            "from uvm.cli import main; assert main(['--memory', '-c', '3 + 4']) == 0; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules, "
            "[m for m in sys.modules if m.startswith(('torch', 'transformers'))][:5]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_script_answers_in_order_then_says_it_ran_out(tmp_path):
    path = write_jsonl(tmp_path / "s.jsonl", [{"text": "one"}, {"text": "two STOP three"}])
    b = make_backend(f"script:{path}")
    assert b.complete("a") == "one"
    assert list(b.stream("b", stop=["STOP"])) in (["two "], ["two", " "])
    with pytest.raises(LLMError, match="no more answers"):
        b.complete("c")
    assert [r.messages[-1][1] for r in b.requests] == ["a", "b", "c"]
    assert b.describe()["kind"] == "script (test double)"


def test_script_file_errors_are_clear(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        ScriptBackend("script:x", str(tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"txt": 1}\n')
    with pytest.raises(LLMError, match=r"bad.jsonl:2"):
        ScriptBackend("script:x", str(bad))


def test_record_then_replay_round_trips_and_unknown_requests_fail(tmp_path):
    script = write_jsonl(tmp_path / "s.jsonl", [{"text": "alpha"}, {"text": "beta gamma"}])
    rec_path = str(tmp_path / "rec.jsonl")
    rec = RecordingBackend(make_backend(f"script:{script}"), rec_path)
    a = rec.complete("first", max_tokens=5)
    b = "".join(rec.stream([{"role": "system", "content": "s"}, {"role": "user", "content": "x"}],
                           adapter="ROBIN"))
    replay = make_backend(f"replay:{rec_path}")
    assert isinstance(replay, ReplayBackend)
    assert replay.complete("first", max_tokens=5) == a == "alpha"
    assert "".join(replay.stream([{"role": "system", "content": "s"},
                                  {"role": "user", "content": "x"}], adapter="ROBIN")) == b
    with pytest.raises(ReplayMissError, match="never recorded"):
        replay.complete("first", max_tokens=6)   # a different request
    with pytest.raises(LLMError, match="not a recording"):
        ReplayBackend("replay:s", script)


def test_record_from_the_environment(tmp_path, monkeypatch):
    script = write_jsonl(tmp_path / "s.jsonl", [{"text": "hi"}])
    monkeypatch.setenv("UVM_LLM_RECORD", str(tmp_path / "r.jsonl"))
    settings.configure_run(f"script:{script}")
    assert settings.backend_for(None).complete("q") == "hi"
    assert json.loads((tmp_path / "r.jsonl").read_text())["text"] == "hi"


def test_stop_sequences_split_across_pieces():
    pieces = ["Hel", "lo wo", "rld", "!"]
    assert "".join(stop_filtered(iter(pieces), ("o w",))) == "Hell"
    assert "".join(stop_filtered(iter(pieces), ("zz",))) == "Hello world!"
    assert "".join(stop_filtered(iter(pieces), ())) == "Hello world!"


def test_request_keys_name_the_whole_request():
    a = Request.make("x", max_tokens=3)
    assert a.key() == Request.make([{"role": "user", "content": "x"}], max_tokens=3).key()
    assert a.key() != Request.make("x", max_tokens=4).key()
    assert a.key() != Request.make("x", max_tokens=3, adapter="BABS").key()
    with pytest.raises(ValueError):
        Request.make([])
