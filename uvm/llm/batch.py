"""Several different prompts, one adapter, one batched generation.

A persona's facets ask the same adapter with different system prompts. The embedded
backend (transformers in this process) can answer them together: the prompts are padded
on the left to one length and generated as the rows of one ``generate`` call, so each
step of the model serves every facet at once. Another backend (a server, a test double,
a recording) answers them one after another through its usual path, so what it records
and replays is unchanged.

``complete_each`` answers in the order asked; ``can_batch`` says which way it will go.
Greedy decoding only (a thought's answers are reproducible); a generation past the run's
time limit stops with an ``LLMError``; Ctrl-C propagates.
"""
from __future__ import annotations

import time
from typing import Callable

from uvm.llm.backend import Request, cut_at_stop
from uvm.llm.errors import LLMError


def can_batch(backend) -> bool:
    from uvm.llm.local import TransformersBackend
    return type(backend) is TransformersBackend


def complete_each(backend, requests: list[Request],
                  progress: Callable[[float], None] | None = None) -> list[str]:
    """The answers to ``requests`` (all with the same adapter when batched)."""
    if not requests:
        return []
    if not can_batch(backend) or len(requests) == 1 or len({r.adapter for r in requests}) > 1:
        return [backend.complete_request(r) for r in requests]
    return _batched(backend, requests, progress)


def _batched(backend, requests: list[Request], progress) -> list[str]:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    from uvm.llm.generation import TIMEOUT_VARIABLE, generation_timeout
    limit = generation_timeout()
    backend.load()
    backend.calls += len(requests)
    tok = backend.loaded.tokenizer
    texts = []
    for r in requests:
        try:
            texts.append(tok.apply_chat_template(r.message_dicts(), add_generation_prompt=True,
                                                 tokenize=False))
        except ValueError as e:
            raise LLMError(f"the model's chat template refused the messages: {e}") from None
    started = time.monotonic()

    class Watch(StoppingCriteria):
        """Reports progress and enforces the time limit, once per generated token."""
        def __call__(self, input_ids, scores, **kwargs):
            seconds = time.monotonic() - started
            if seconds > limit:
                raise LLMError(f"the model took longer than {limit:g} s (${TIMEOUT_VARIABLE} "
                               "sets the limit)")
            if progress is not None:
                progress(seconds)
            return torch.zeros((input_ids.shape[0],), dtype=torch.bool, device=input_ids.device)

    side = tok.padding_side
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    with backend._lock, backend.memory.use(requests[0].adapter) as model:
        try:
            tok.padding_side = "left"  # rows end together where generation begins
            if tok.pad_token_id is None:
                tok.pad_token = tok.eos_token
            inputs = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        finally:
            tok.padding_side = side
        inputs = {k: v.to(backend.loaded.model.device) for k, v in inputs.items()}
        n = inputs["input_ids"].shape[1]
        with torch.inference_mode():
            out = model.generate(**inputs, max_new_tokens=max(r.max_tokens for r in requests),
                                 do_sample=False, temperature=None, top_p=None, top_k=None,
                                 pad_token_id=pad, stopping_criteria=StoppingCriteriaList([Watch()]))
    answers = []
    for row, r in zip(out, requests):
        ids = row[n:n + r.max_tokens]
        answers.append(cut_at_stop(tok.decode(ids, skip_special_tokens=True), r.stop)[0])
    return answers
