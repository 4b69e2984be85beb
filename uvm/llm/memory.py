"""The memory manager (``memory_manager_obj``): persona adapters in three tiers.

- hot: the adapter's weights are in the live model, in a LoRA *slot*. Slots are PEFT
  adapters created once (``PeftModel.add_adapter``) with a persona's LoRA settings;
  promoting a warm adapter copies its tensors into a free (or the least recently used)
  slot, which takes a fraction of a millisecond, where ``load_adapter`` from RAM takes
  tens. Switching between hot adapters re-points the LoRA layers' active adapter
  directly, as PEFT's ``set_adapter`` does, without its walk over every module.
  An adapter whose LoRA settings fit no slot is loaded with PEFT's ``load_adapter`` under
  its own name, activated with ``set_adapter`` and removed with ``delete_adapter``.
- warm: the adapter's tensors in RAM.
- cold: only the BLOB on disk.

Each tier has a byte limit; when one is exceeded the least recently used adapter moves
down a tier. Every use is counted as a transition from the persona used before, and the
most likely next persona is read from cold into warm in a background thread (prefetch).
The model is touched only by the thread that calls ``use``; the background thread only
reads files.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections import Counter, OrderedDict, defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from uvm.llm.errors import LLMError

HOT, WARM, COLD = "hot", "warm", "cold"
DEFAULT_HOT_LIMIT = int(os.environ.get("UVM_LLM_HOT_BYTES", 64 << 20))
DEFAULT_WARM_LIMIT = int(os.environ.get("UVM_LLM_WARM_BYTES", 256 << 20))
LORA_KEYS = ("r", "lora_alpha", "target_modules", "use_rslora", "use_dora", "bias",
             "fan_in_fan_out", "layers_to_transform")


@dataclass
class AdapterInfo:
    """What the manager knows of a cold adapter: where its bytes are and its settings."""
    name: str
    size: int
    config: dict
    path: str           # a BLOB's committed file, or any safetensors file


def signature(config: dict) -> str:
    sig = {k: config.get(k) for k in LORA_KEYS}
    if isinstance(sig["target_modules"], (list, tuple, set)):
        sig["target_modules"] = sorted(sig["target_modules"])
    return json.dumps(sig, sort_keys=True, default=str)


def lora_config(config: dict):
    from peft import LoraConfig
    keep = {k: v for k, v in config.items() if k in (
        "r", "lora_alpha", "target_modules", "lora_dropout", "bias", "use_rslora",
        "fan_in_fan_out", "layers_to_transform", "use_dora")}
    keep["lora_dropout"] = 0.0  # inference
    if isinstance(keep.get("target_modules"), list):
        keep["target_modules"] = list(keep["target_modules"])
    return LoraConfig(task_type="CAUSAL_LM", inference_mode=True, **keep)


class MemoryManager:
    def __init__(self, model, adapters: dict[str, AdapterInfo], hot_limit: int = DEFAULT_HOT_LIMIT,
                 warm_limit: int = DEFAULT_WARM_LIMIT, prefetch: bool = True):
        self.base = model
        self.peft = None                     # the PeftModel, made on the first promotion
        self.adapters = dict(adapters)
        self.hot_limit = hot_limit
        self.warm_limit = warm_limit
        self.prefetch_enabled = prefetch
        self.hot: OrderedDict[str, str] = OrderedDict()      # name -> slot, LRU first
        self.warm: OrderedDict[str, dict] = OrderedDict()    # name -> tensors, LRU first
        self.slots: dict[str, str | None] = {}               # slot -> name it holds
        self._slot_sig: str | None = None
        self._slot_params: dict[str, dict[str, object]] = {}
        self._lora_layers: list = []
        self.active: str | None = None       # adapter in force, None for the base model
        self.last: str | None = None         # the persona used before (for prediction)
        self.transitions: dict[str | None, Counter] = defaultdict(Counter)
        self.moves: list[tuple[str, str, float]] = []   # (name, from tier, ms)
        self._lock = threading.RLock()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="uvm-prefetch") if prefetch else None
        self._pending: dict[str, Future] = {}
        self._transit: str | None = None     # on its way warm -> hot: counted as hot

    # --- reading ---------------------------------------------------------------------------------
    def tier(self, name: str) -> str:
        if name in self.hot:
            return HOT
        return WARM if name in self.warm else COLD

    def bytes_in(self, tier: str) -> int:
        names = {HOT: list(self.hot),
                 WARM: [n for n in self.warm if n not in self.hot and n != self._transit]}[tier]
        return sum(self.adapters[n].size for n in names)

    def status(self) -> list[dict]:
        return [{"name": n, "tier": self.tier(n), "size": a.size,
                 "active": n == self.active} for n, a in sorted(self.adapters.items())]

    def max_slots(self) -> int:
        biggest = max((a.size for a in self.adapters.values()), default=1)
        return max(1, self.hot_limit // max(1, biggest))

    def add(self, info: AdapterInfo) -> None:
        """A new or re-imported adapter: whatever was loaded of an older one goes."""
        with self._lock:
            if info.name in self.adapters:
                self.demote(info.name, to=COLD)
            self.adapters[info.name] = info

    # --- cold -> warm ----------------------------------------------------------------------------
    def _read(self, name: str) -> dict:
        import safetensors.torch
        info = self.adapters[name]
        try:
            with open(info.path, "rb") as f:
                return safetensors.torch.load(f.read())
        except OSError as e:
            raise LLMError(f"cannot read persona {name}'s adapter BLOB {info.path}: "
                           f"{e.strerror}") from None

    def warm_up(self, name: str) -> None:
        """Make ``name`` at least warm (reads the BLOB, or waits for its prefetch)."""
        self._known(name)
        pending = self._pending.get(name)
        if pending is not None:
            pending.result()
        with self._lock:
            if name in self.warm:
                self.warm.move_to_end(name)
                return
        tensors = self._read(name)
        with self._lock:
            self.warm[name] = tensors
            self.warm.move_to_end(name)
            self._enforce_warm(keep=name)

    def _enforce_warm(self, keep: str | None = None) -> None:
        for victim in list(self.warm):
            if self.bytes_in(WARM) <= self.warm_limit:
                break
            if victim != keep and victim not in self.hot and victim != self._transit:
                del self.warm[victim]
        if keep is not None and keep not in self.hot and self.bytes_in(WARM) > self.warm_limit:
            pass  # an adapter being promoted passes through warm even if it does not fit

    # --- warm -> hot ----------------------------------------------------------------------------
    def _known(self, name: str) -> None:
        if name not in self.adapters:
            known = ", ".join(sorted(self.adapters)) or "none"
            raise LLMError(f"no persona adapter named {name!r} in this image (it has: {known})")

    def _ensure_peft(self, config: dict) -> None:
        if self.peft is not None:
            return
        from peft import get_peft_model
        self._slot_sig = signature(config)
        self.peft = get_peft_model(self.base, lora_config(config), adapter_name="slot0")
        self.peft.eval()
        self._index_slot("slot0")
        self.slots["slot0"] = None
        from peft.tuners.lora import LoraLayer
        self._lora_layers = [m for m in self.peft.modules() if isinstance(m, LoraLayer)]

    def _index_slot(self, slot: str) -> None:
        marker = f".{slot}."
        params = {}
        for pname, p in self.peft.named_parameters():
            if marker in pname and ".lora_" in pname:
                params[pname.replace(marker, ".")] = p
        self._slot_params[slot] = params

    def _new_slot(self, config: dict) -> str:
        slot = f"slot{len(self.slots)}"
        self.peft.add_adapter(slot, lora_config(config))
        self._index_slot(slot)
        self.slots[slot] = None
        return slot

    def _activate(self, slot: str | None) -> None:
        """Point every LoRA layer at ``slot`` (what ``set_adapter`` ends with)."""
        if slot is None:
            return
        for layer in self._lora_layers:
            layer._active_adapter = [slot]
        self.peft.base_model.active_adapter = slot

    def _copy_into(self, slot: str, tensors: dict) -> None:
        import torch
        params = self._slot_params[slot]
        if set(params) != set(tensors):
            raise KeyError("the adapter's tensors do not match the slot's")
        with torch.no_grad():
            for key, value in tensors.items():
                params[key].copy_(value)

    def _free_slot(self, name: str, config: dict) -> str:
        free = [s for s, held in self.slots.items() if held is None and s.startswith("slot")]
        if free:
            return free[0]
        if len(self.hot) < self.max_slots():
            return self._new_slot(config)
        victim = next(iter(self.hot))
        slot = self.hot[victim]
        self.demote(victim, to=WARM)
        if not slot.startswith("slot"):  # an odd adapter's own: make a slot instead
            return self._new_slot(config)
        return slot

    def promote(self, name: str) -> str:
        """Make ``name`` the hot, active adapter; returns the tier it came from."""
        self._known(name)
        t0 = time.perf_counter()
        with self._lock:
            came = self.tier(name)
            if came == HOT:
                self.hot.move_to_end(name)
                self._activate(self.hot[name])
            else:
                self.warm_up(name)
                self._transit = name
                try:
                    info = self.adapters[name]
                    self._ensure_peft(info.config)
                    tensors = self.warm[name]
                    if signature(info.config) == self._slot_sig:
                        slot = self._free_slot(name, info.config)
                        self._copy_into(slot, tensors)
                    else:
                        slot = self._load_odd(name, info, tensors)
                    self.slots[slot] = name
                    self.hot[name] = slot
                    self._activate(slot)
                finally:
                    self._transit = None
                self._enforce_hot(keep=name)
                self._enforce_warm()
            self.active = name
        self.moves.append((name, came, (time.perf_counter() - t0) * 1000))
        return came

    def _load_odd(self, name: str, info: AdapterInfo, tensors: dict) -> str:
        """An adapter that fits no slot: PEFT's own load_adapter / set_adapter."""
        import safetensors.torch
        while len(self.hot) >= self.max_slots():
            self.demote(next(iter(self.hot)), to=WARM)
        own = f"odd_{name}"
        with tempfile.TemporaryDirectory(prefix="uvm-adapter-") as tmp:
            safetensors.torch.save_file(tensors, os.path.join(tmp, "adapter_model.safetensors"))
            lora_config(info.config).save_pretrained(tmp)
            self.peft.load_adapter(tmp, adapter_name=own, is_trainable=False)
        self.peft.set_adapter(own)
        return own

    def _enforce_hot(self, keep: str) -> None:
        while self.bytes_in(HOT) > self.hot_limit and len(self.hot) > 1:
            victim = next(n for n in self.hot if n != keep)
            self.demote(victim, to=WARM)

    def demote(self, name: str, to: str = WARM) -> None:
        """Move ``name`` down to ``to`` (warm or cold)."""
        with self._lock:
            if name in self.hot:
                slot = self.hot.pop(name)
                if slot.startswith("slot"):
                    self.slots[slot] = None
                else:
                    self.peft.delete_adapter(slot)
                    self.slots.pop(slot, None)
                if self.active == name:
                    self.active = None
            if to == COLD:
                self.warm.pop(name, None)
            else:
                self._enforce_warm()

    # --- use, prediction, prefetch ---------------------------------------------------------------
    @contextlib.contextmanager
    def use(self, name: str | None):
        """Generate inside this with persona ``name``'s adapter (None: the base model)."""
        with self._lock:
            if name is None:
                if self.peft is None:
                    yield self.base
                else:
                    with self.peft.disable_adapter():
                        yield self.peft
            else:
                self.promote(name)
                self._record(name)
                yield self.peft

    def model(self):
        return self.peft if self.peft is not None else self.base

    def _record(self, name: str) -> None:
        self.transitions[self.last][name] += 1
        self.last = name
        nxt = self.predict(name)
        if nxt is not None:
            self.prefetch(nxt)

    def predict(self, after: str | None) -> str | None:
        """The persona most often used after ``after`` (None when nothing is known)."""
        counts = self.transitions.get(after)
        if not counts:
            return None
        return counts.most_common(1)[0][0]

    def prefetch(self, name: str) -> Future | None:
        """Read ``name`` cold -> warm in the background if it fits the warm tier."""
        if self._pool is None or name not in self.adapters:
            return None
        with self._lock:
            if self.tier(name) != COLD or name in self._pending:
                return self._pending.get(name)
            if self.bytes_in(WARM) + self.adapters[name].size > self.warm_limit:
                return None

            def job():
                try:
                    tensors = self._read(name)
                    with self._lock:
                        if name not in self.warm:
                            self.warm[name] = tensors
                            self.warm.move_to_end(name, last=False)  # not yet used
                            self._enforce_warm()
                finally:
                    self._pending.pop(name, None)

            future = self._pending[name] = self._pool.submit(job)
            return future

    def wait(self) -> None:
        """Wait for the prefetches under way."""
        for future in list(self._pending.values()):
            future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
