"""The one small interface every backend speaks.

A request is chat messages in, text out (whole, or streamed in pieces), with stop
sequences, a token limit, a temperature, a seed and optionally a persona adapter's name.
Backends implement ``_complete(request)`` and, if they can stream, ``_stream(request)``;
stop sequences are applied here, once, for all of them.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

Message = Mapping[str, str]  # {"role": "system" | "user" | "assistant", "content": "..."}


@dataclass(frozen=True)
class Request:
    messages: tuple[tuple[str, str], ...]
    max_tokens: int = 128
    temperature: float = 0.0
    stop: tuple[str, ...] = ()
    seed: int | None = None
    adapter: str | None = None

    @classmethod
    def make(cls, messages: Iterable[Message] | str, *, max_tokens: int = 128,
             temperature: float = 0.0, stop: Iterable[str] = (), seed: int | None = None,
             adapter: str | None = None) -> "Request":
        if isinstance(messages, str):
            messages = [{"role": "user", "content": messages}]
        msgs = tuple((str(m["role"]), str(m["content"])) for m in messages)
        if not msgs:
            raise ValueError("a request needs at least one message")
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        return cls(msgs, int(max_tokens), float(temperature), tuple(s for s in stop if s),
                   seed, adapter)

    def message_dicts(self) -> list[dict[str, str]]:
        return [{"role": r, "content": c} for r, c in self.messages]

    def to_json(self) -> dict:
        return {"messages": self.message_dicts(), "max_tokens": self.max_tokens,
                "temperature": self.temperature, "stop": list(self.stop), "seed": self.seed,
                "adapter": self.adapter}

    def key(self) -> str:
        """A digest naming this request exactly (used by ``--record`` / ``replay:``)."""
        text = json.dumps(self.to_json(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def cut_at_stop(text: str, stop: tuple[str, ...]) -> tuple[str, bool]:
    """``text`` up to the first stop sequence, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    return (text, False) if cut < 0 else (text[:cut], True)


def stop_filtered(pieces: Iterator[str], stop: tuple[str, ...]) -> Iterator[str]:
    """Stream ``pieces`` but end before any stop sequence, holding back only as much text
    as could still turn out to be the start of one."""
    if not stop:
        yield from pieces
        return
    hold = max(len(s) for s in stop) - 1
    buf = ""
    for piece in pieces:
        buf += piece
        text, found = cut_at_stop(buf, stop)
        if found:
            if text:
                yield text
            return
        if len(buf) > hold:
            emit, buf = buf[:len(buf) - hold], buf[len(buf) - hold:]
            yield emit
    if buf:
        yield buf


@dataclass
class Backend:
    """Base class. ``spec`` is the ``--llm`` setting that made it."""
    spec: str
    calls: int = field(default=0, init=False)

    def complete(self, messages: Iterable[Message] | str, **options) -> str:
        """The whole answer to ``messages`` (see ``Request.make`` for the options)."""
        request = Request.make(messages, **options)
        self.calls += 1
        text, _ = cut_at_stop(self._complete(request), request.stop)
        return text

    def stream(self, messages: Iterable[Message] | str, **options) -> Iterator[str]:
        """The answer in pieces as they are generated."""
        request = Request.make(messages, **options)
        self.calls += 1
        return stop_filtered(self._stream(request), request.stop)

    def complete_request(self, request: Request) -> str:
        self.calls += 1
        return cut_at_stop(self._complete(request), request.stop)[0]

    def complete_batch(self, messages: Iterable[Message] | str, n: int, *,
                       greedy_first: bool = True, until=None, progress=None,
                       **options) -> list[str]:
        """``n`` answers to the same messages, in one batched generation where the backend
        can: the first greedy when ``greedy_first``, the others sampled at ``temperature``.
        ``until(text)`` says an answer is complete (its generation may stop there);
        ``progress(seconds, first_answer_so_far)`` is called now and then from the calling
        thread, and stops the generation by raising."""
        request = Request.make(messages, **options)
        self.calls += 1
        texts = self._batch(request, max(1, n), greedy_first, until, progress)
        return [cut_at_stop(t, request.stop)[0] for t in texts]

    def batch_key(self, request: Request, n: int, greedy_first: bool) -> str:
        """A digest naming one batched request exactly (``--record`` / ``replay:``)."""
        return hashlib.sha256(f"{request.key()}/batch {n} {greedy_first}".encode()).hexdigest()

    # --- for subclasses ------------------------------------------------------------------------
    def _complete(self, request: Request) -> str:
        raise NotImplementedError

    def _stream(self, request: Request) -> Iterator[str]:
        yield self._complete(request)

    def _batch(self, request: Request, n: int, greedy_first: bool, until, progress) -> list[str]:
        """One streamed request after another (a backend that can batch does better); each
        stream is closed once ``until`` says its answer is complete."""
        import time
        from contextlib import closing
        from dataclasses import replace
        out: list[str] = []
        started = time.monotonic()
        for i in range(n):
            greedy = greedy_first and i == 0
            one = replace(request, temperature=0.0 if greedy else request.temperature,
                          seed=None if request.seed is None else request.seed + i)
            text = ""
            with closing(stop_filtered(self._stream(one), request.stop)) as pieces:
                for piece in pieces:
                    text += piece
                    if progress is not None:
                        progress(time.monotonic() - started, out[0] if out else text)
                    if until is not None and "\n" in piece and until(text):
                        break
            out.append(text)
        return out

    def adapter_names(self) -> tuple[str, ...]:
        """The adapters a request may name (none, unless the backend holds some)."""
        return ()

    def describe(self) -> dict:
        """What ``uvm model status`` shows about this backend."""
        return {"backend": self.spec}

    def close(self) -> None:
        pass


class NoModel(Backend):
    """``--no-llm``: there is no model; asking for one is an error."""

    def _complete(self, request: Request) -> str:
        from uvm.llm.errors import NoModelError
        raise NoModelError("this run has no language model (--no-llm); run without --no-llm "
                           "or choose one with --llm SPEC")
