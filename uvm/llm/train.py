"""Fine-tune a LoRA adapter (a persona's, or the method writer's) on the CPU with PEFT.

The dataset is JSON Lines, one ``{"prompt": ..., "answer": ...}`` per line (an optional
``"system"`` is used as the system message), or ``{"messages": [...], "answer": ...}``
where the messages end with the start of the assistant's answer (the synthesis prompt
ends with the method's signature), continued exactly as ``uvm.llm.local`` continues it.
Each row is put through the model's chat template; the loss counts only the answer's
tokens. The run is seeded, so the same data, settings and base model give the same
adapter.

On a CPU two settings make training several times faster: ``layers`` (LoRA on the top
layers only, so the backward pass stops there) and ``bf16`` (autocast to bfloat16, where
the CPU has bf16 instructions); rows of similar length are batched together.
"""
from __future__ import annotations

import hashlib
import json
import random
import time

from uvm.llm.errors import LLMError
from uvm.llm.jsonlines import parse_jsonl

DEFAULTS = {"rank": 8, "alpha": 16, "steps": 60, "lr": 1e-3, "batch": 4, "seed": 0,
            "targets": ["q_proj", "k_proj", "v_proj", "o_proj"]}


def read_dataset(path: str) -> tuple[list[dict], str]:
    """The (prompt, answer) pairs of ``path`` and the file's sha256."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise LLMError(f"cannot read the dataset {path}: {e.strerror}") from None
    rows = parse_jsonl(raw.decode("utf-8"), path, ("answer",))
    for n, row in enumerate(rows, 1):
        if not isinstance(row.get("prompt"), str) and not isinstance(row.get("messages"), list):
            raise LLMError(f"{path}:{n}: each line needs a \"prompt\" string or a \"messages\" list")
    if not rows:
        raise LLMError(f"the dataset {path} is empty")
    return rows, hashlib.sha256(raw).hexdigest()


def _encode(tokenizer, row: dict) -> tuple[list[int], list[int]]:
    if row.get("messages"):
        messages = [dict(m) for m in row["messages"]]
        start = messages.pop()["content"] if messages[-1]["role"] == "assistant" else ""
        text = tokenizer.apply_chat_template(messages, add_generation_prompt=True,
                                             tokenize=False) + start
        prompt = tokenizer(text, add_special_tokens=False)["input_ids"]
    else:
        messages = ([{"role": "system", "content": row["system"]}] if row.get("system") else [])
        messages.append({"role": "user", "content": row["prompt"]})
        prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                               return_dict=False)
        if hasattr(prompt, "input_ids"):
            prompt = prompt["input_ids"]
    answer = tokenizer(row["answer"] + "<|im_end|>", add_special_tokens=False)["input_ids"]
    ids = list(prompt) + list(answer)
    return ids, [-100] * len(prompt) + list(answer)


def lora_model(model, rank: int = 8, alpha: int = 16, targets: list[str] | None = None,
               layers: list[int] | None = None):
    """``model`` with fresh LoRA layers (PEFT), and their settings; training it again and
    again (``train_lora(peft_model=...)``) goes on from where it was."""
    from peft import LoraConfig, get_peft_model
    from uvm.llm.progress import quiet_libraries
    quiet_libraries()   # PEFT's deprecation notices are not the trainer's business
    config = {"r": rank, "lora_alpha": alpha, "target_modules": list(targets or DEFAULTS["targets"]),
              "lora_dropout": 0.0, "bias": "none", "task_type": "CAUSAL_LM"}
    if layers:
        config["layers_to_transform"] = sorted(layers)
    peft_model = get_peft_model(model, LoraConfig(**config))
    peft_model.uvm_lora_config = config
    return peft_model, config


def train_lora(model, tokenizer, rows: list[dict], rank: int = 8, alpha: int = 16,
               steps: int = 60, lr: float = 1e-3, batch: int = 4, seed: int = 0,
               targets: list[str] | None = None, log=None, layers: list[int] | None = None,
               bf16: bool = False, start: dict | None = None, peft_model=None,
               by_length: bool = False) -> tuple[dict, dict, dict]:
    """Train a LoRA on ``model`` (which it changes: pass a freshly loaded one). Returns the
    adapter's tensors (PEFT's key names), its LoRA settings, and what happened. ``start``
    continues from an adapter's tensors; ``peft_model`` from an earlier call's model."""
    import torch
    from peft import get_peft_model_state_dict, set_peft_model_state_dict
    torch.manual_seed(seed)
    rng = random.Random(seed)
    if peft_model is None:
        peft_model, config = lora_model(model, rank, alpha, targets, layers)
    else:
        config = peft_model.uvm_lora_config
    if start is not None:
        set_peft_model_state_dict(peft_model, {k: v.float() for k, v in start.items()})
    peft_model.train()
    encoded = [_encode(tokenizer, r) for r in rows]
    if by_length:  # batches of rows of similar length: little padding
        encoded.sort(key=lambda e: len(e[0]))
        groups = [list(range(i, min(i + batch, len(encoded)))) for i in range(0, len(encoded), batch)]
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    params = [p for p in peft_model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    order: list[int] = []
    losses = []
    t0 = time.perf_counter()
    for step in range(steps):
        if by_length:
            if not order:
                order = list(range(len(groups)))
                rng.shuffle(order)
            picked = [encoded[i] for i in groups[order.pop()]]
        else:
            if len(order) < batch:
                more = list(range(len(encoded)))
                rng.shuffle(more)
                order += more
            picked = [encoded[order.pop()] for _ in range(min(batch, len(encoded)))]
        width = max(len(ids) for ids, _ in picked)
        ids = torch.full((len(picked), width), pad, dtype=torch.long)
        labels = torch.full((len(picked), width), -100, dtype=torch.long)
        mask = torch.zeros((len(picked), width), dtype=torch.long)
        for i, (x, y) in enumerate(picked):
            ids[i, :len(x)] = torch.tensor(x)
            labels[i, :len(y)] = torch.tensor(y)
            mask[i, :len(x)] = 1
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = peft_model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(float(loss.detach()))
        if log is not None:
            log(step + 1, steps, losses[-1])
    seconds = time.perf_counter() - t0
    tensors = {k: v.detach().contiguous().clone()
               for k, v in get_peft_model_state_dict(peft_model).items()}
    stats = {"steps": steps, "batch": batch, "lr": lr, "seed": seed, "examples": len(rows),
             "first_loss": round(losses[0], 4), "last_loss": round(sum(losses[-5:]) /
                                                                  len(losses[-5:]), 4),
             "seconds": round(seconds, 1), "seconds_per_step": round(seconds / max(1, steps), 2)}
    return tensors, config, stats


def save_adapter(path: str, tensors: dict, config: dict, persona: str, stats: dict,
                 half: bool = False) -> None:
    """Write the adapter (``half``: in float16, half the size) with its LoRA settings and
    how it was made in the safetensors metadata."""
    import safetensors.torch
    import torch
    from uvm.llm.pllm import CONFIG_KEY
    if half:
        tensors = {k: v.to(torch.float16) for k, v in tensors.items()}
    safetensors.torch.save_file(tensors, path, metadata={
        CONFIG_KEY: json.dumps(config), "uvm.persona": persona, "uvm.training": json.dumps(stats)})
