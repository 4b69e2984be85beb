"""The memory manager on the real model and the real persona adapters: tier moves, byte
limits, least-recently-used demotion, prefetch, and that a LoRA slot filled by copying
computes exactly what PEFT's own load_adapter + set_adapter computes."""
from __future__ import annotations

import os
import tempfile

import pytest

from tests.llm.conftest import needs_ml
from uvm.llm.errors import LLMError
from uvm.llm.memory import COLD, HOT, WARM, MemoryManager, lora_config

pytestmark = needs_ml

PROMPT = [{"role": "user", "content": "Is this design good?"}]


@pytest.fixture
def manager(awake):
    """The backend's manager, everything cold, with limits the test sets."""
    image, backend = awake
    m = backend.memory
    for name in list(m.adapters):
        m.demote(name, to=COLD)
    m.transitions.clear()
    m.last = None
    limits = (m.hot_limit, m.warm_limit)
    yield m
    m.wait()
    m.hot_limit, m.warm_limit = limits


def logits(backend, adapter):
    import torch
    inputs = backend._inputs(_request(adapter))
    with backend.memory.use(adapter) as model, torch.no_grad():
        return model(**inputs).logits[0, -1].clone()


def _request(adapter):
    from uvm.llm.backend import Request
    return Request.make(PROMPT, adapter=adapter)


def test_all_start_cold_and_promotion_goes_cold_warm_hot(manager):
    names = sorted(manager.adapters)
    assert len(names) >= 2
    assert {manager.tier(n) for n in names} == {COLD}
    assert manager.promote(names[0]) == COLD
    assert manager.tier(names[0]) == HOT and manager.active == names[0]
    assert manager.promote(names[0]) == HOT
    manager.demote(names[0], to=WARM)
    assert manager.tier(names[0]) == WARM
    assert manager.promote(names[0]) == WARM
    assert [m[1] for m in manager.moves[-3:]] == [COLD, HOT, WARM]


def test_byte_limits_demote_the_least_recently_used(manager):
    names = sorted(manager.adapters)[:3]
    if len(names) < 3:
        pytest.skip("needs three personas")
    size = max(a.size for a in manager.adapters.values())
    manager.hot_limit = 2 * size      # two slots
    manager.warm_limit = size         # one adapter's tensors besides the hot ones
    a, b, c = names
    manager.promote(a)
    manager.promote(b)
    assert (manager.tier(a), manager.tier(b)) == (HOT, HOT)
    manager.promote(a)                # a is now the most recently used
    manager.promote(c)                # b goes down to warm
    assert (manager.tier(a), manager.tier(b), manager.tier(c)) == (HOT, WARM, HOT)
    assert manager.bytes_in(HOT) <= manager.hot_limit
    manager.promote(b)                # a is the LRU hot one now -> warm
    assert manager.tier(a) == WARM and manager.tier(b) == HOT
    manager.warm_limit = 0
    manager.demote(c)                 # warm has no room: c and a go cold
    assert manager.tier(c) == COLD and manager.tier(a) == COLD
    assert manager.bytes_in(WARM) == 0


def test_slot_copy_matches_peft_load_adapter(manager, awake):
    import safetensors.torch
    import torch
    _, backend = awake
    name = sorted(manager.adapters)[0]
    base = logits(backend, None)
    ours = logits(backend, name)
    assert not torch.allclose(base, ours, atol=1e-3)     # the adapter does something
    info = manager.adapters[name]
    peft = manager.peft
    with tempfile.TemporaryDirectory() as tmp:
        with open(info.path, "rb") as f:
            safetensors.torch.save_file(safetensors.torch.load(f.read()),
                                        os.path.join(tmp, "adapter_model.safetensors"))
        lora_config(info.config).save_pretrained(tmp)
        peft.load_adapter(tmp, adapter_name="reference", is_trainable=False)
    try:
        peft.set_adapter("reference")
        inputs = backend._inputs(_request(None))
        with torch.no_grad():
            reference = peft(**inputs).logits[0, -1]
    finally:
        peft.delete_adapter("reference")
        manager._activate(manager.hot[name])
    assert torch.allclose(ours, reference, atol=1e-5)
    assert torch.allclose(logits(backend, None), base, atol=1e-5)  # disabling restores it


def test_switching_between_personas_changes_the_answer(manager, awake):
    import torch
    _, backend = awake
    a, b = sorted(manager.adapters)[:2]
    la, lb = logits(backend, a), logits(backend, b)
    assert not torch.allclose(la, lb, atol=1e-3)
    assert torch.allclose(logits(backend, a), la, atol=1e-5)


def test_generation_with_a_persona_promotes_it(manager, awake):
    _, backend = awake
    name = sorted(manager.adapters)[-1]
    assert manager.tier(name) == COLD
    text = backend.complete(PROMPT, max_tokens=8, adapter=name)
    assert text and manager.tier(name) == HOT and manager.active == name
    with pytest.raises(LLMError, match="no persona adapter named 'NOBODY'"):
        backend.complete(PROMPT, max_tokens=2, adapter="NOBODY")


def test_prediction_prefetches_the_next_persona_in_the_background(manager):
    a, b = sorted(manager.adapters)[:2]
    for _ in range(3):               # a is always followed by b
        with manager.use(a):
            pass
        with manager.use(b):
            pass
    assert manager.predict(a) == b
    manager.demote(b, to=COLD)
    with manager.use(a):             # predicts b, reads it cold -> warm in the background
        pass
    manager.wait()
    assert manager.tier(b) == WARM
    assert manager.promote(b) == WARM


def test_prefetch_respects_the_warm_limit(manager):
    a, b = sorted(manager.adapters)[:2]
    manager.warm_limit = 0
    assert manager.prefetch(b) is None
    assert manager.tier(b) == COLD


def test_an_adapter_with_other_settings_uses_peft_load_adapter(manager, awake, tmp_path):
    """An adapter of another rank fits no slot: PEFT's load/set/delete_adapter."""
    import safetensors.torch
    from uvm.llm.memory import AdapterInfo
    name = sorted(manager.adapters)[0]
    manager.promote(name)            # slots exist with the personas' settings
    info = manager.adapters[name]
    with open(info.path, "rb") as f:
        tensors = safetensors.torch.load(f.read())
    half = {k: (v[: v.shape[0] // 2] if ".lora_A." in k else v[:, : v.shape[1] // 2])
            for k, v in tensors.items()}
    path = tmp_path / "odd.safetensors"
    safetensors.torch.save_file({k: v.contiguous() for k, v in half.items()}, str(path))
    config = {**info.config, "r": info.config["r"] // 2}
    manager.add(AdapterInfo("ODD", os.path.getsize(path), config, str(path)))
    try:
        manager.promote("ODD")
        assert manager.tier("ODD") == HOT and manager.hot["ODD"] == "odd_ODD"
        assert "odd_ODD" in manager.peft.peft_config
        manager.demote("ODD", to=COLD)
        assert "odd_ODD" not in manager.peft.peft_config
        manager.promote(name)
    finally:
        manager.adapters.pop("ODD", None)
