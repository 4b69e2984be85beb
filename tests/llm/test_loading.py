"""Loading a model: Ctrl-C takes effect at once, and no third-party progress bar reaches
the terminal (their progress goes to UVM's listeners instead).

The first tests stand in for transformers' loaders with blocking fakes (test doubles,
named as such); the last one loads the real embedded model in the REPL on a real
pseudo-terminal."""
from __future__ import annotations

import _thread
import threading
import time

import pytest

from uvm.llm import model as model_mod
from uvm.llm import progress

from .conftest import needs_ml

WAIT = 30.0


class BlockingLoad:
    """Test double for ``from_pretrained``: blocks until released and, like a long C call,
    does not let Ctrl-C through while it runs."""

    def __init__(self):
        self.started, self.released = threading.Event(), threading.Event()
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        self.started.set()
        end = time.monotonic() + WAIT
        while not self.released.is_set() and time.monotonic() < end:
            try:
                self.released.wait(0.01)
            except KeyboardInterrupt:
                pass                                  # swallowed, as C code would
        return _FakeModel()


class _FakeModel:
    def eval(self):
        return self


@needs_ml
def test_ctrl_c_while_the_model_loads_takes_effect_before_the_load_ends(tmp_path, monkeypatch):
    import transformers
    fake = BlockingLoad()
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", fake)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda *a, **k: "tok")
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"not read by the fake")

    def interrupt_when_loading():
        if fake.started.wait(WAIT):
            _thread.interrupt_main()
    watcher = threading.Thread(target=interrupt_when_loading)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            model_mod.load_gguf(str(gguf), use_cache=False)
        interrupted_while_loading = not fake.released.is_set()
    finally:
        fake.released.set()
        watcher.join()
    assert interrupted_while_loading
    # the load went on in the background; the next call takes its result, not a new load
    loaded = model_mod.load_gguf(str(gguf), use_cache=False)
    assert isinstance(loaded.model, _FakeModel) and fake.calls == 1


def test_a_relayed_bar_tells_the_listeners_and_draws_nothing(capsys):
    heard = []
    with progress.reporting(heard.append):
        for _ in progress.Relay(range(4), desc="Loading weights"):
            pass
        bar = progress.Relay(total=2, desc="Converting tensors...")
        bar.update()
        bar.update()
        bar.close()
    assert heard == ["Loading weights 25%", "Loading weights 50%", "Loading weights 75%",
                     "Loading weights 100%", "Converting tensors 50%", "Converting tensors 100%"]
    assert capsys.readouterr() == ("", "")


@needs_ml
def test_transformers_bars_are_relayed_while_it_loads():
    """Inside ``quiet_transformers`` a bar transformers makes is a Relay, even on a
    terminal (where transformers would draw its own)."""
    from transformers.utils import logging as hf_logging
    heard = []
    with progress.reporting(heard.append), progress.quiet_transformers():
        for _ in hf_logging.tqdm(range(2), desc="Loading weights"):
            pass
    assert heard == ["Loading weights 50%", "Loading weights 100%"]


@needs_ml
def test_the_repl_shows_no_third_party_progress_bar_when_the_model_loads(awake, tmp_path):
    """The real embedded model loads in the REPL on a real pseudo-terminal (from the
    derived cache the ``awake`` fixture wrote): the status line tells of the load, and no
    tqdm bar (``Loading weights: 100%|...``) is drawn."""
    from tests.repl.test_pty_synthesis import RecordingTerminal
    t = RecordingTerminal(["--memory", "--llm", "embedded"], tmp_path)
    t.wait = 300  # the real model writing on 2 busy cores
    try:
        t.wait_for("uvm>")
        t.send("lobby _AddSlots: (| calc = (| parent* = traits clonable |) |)\r")
        t.wait_for_prompt(2)
        t.send("calc triple: 3\r")
        t.wait_for("Install it?")
        t.send("n\r")
        t.wait_for_prompt(3)
        t.send("\x04")
        assert t.finish() == 0
    finally:
        if t.child.isalive():
            t.child.terminate(force=True)
    assert b"%|" not in t.raw and b"it/s]" not in t.raw    # no tqdm bar
    assert b"loading the model" in t.raw                  # UVM's own status line
