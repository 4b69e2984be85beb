"""Test doubles, named as such: ``script:`` and ``replay:`` answer without any model.

``script:FILE`` answers from a JSON Lines file of canned completions, one object with a
``"text"`` field (or, for a batched request, a ``"texts"`` list of candidates) per line,
in order (for tests, demos, and reproducing a bug); running
out of lines is an error. ``replay:FILE`` answers from a file written by a recording run
(``RecordingBackend``, ``$UVM_LLM_RECORD``), keyed by the exact request, and fails clearly
on a request it has not seen.
"""
from __future__ import annotations

import json
import os
import threading
from typing import Iterator

from uvm.llm.backend import Backend, Request
from uvm.llm.errors import LLMError, ModelFileError, ReplayMissError
from uvm.llm.jsonlines import parse_jsonl


def _read_jsonl(path: str, what: str, fields=("text",)) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ModelFileError(f"cannot read the {what} file {path}: {e.strerror}") from None
    return parse_jsonl(text, path, fields)


class ScriptBackend(Backend):
    """Test double: canned completions from a JSON Lines file, in order."""

    def __init__(self, spec: str, path: str):
        super().__init__(spec)
        self.path = path
        self.rows = _read_jsonl(path, "script", ())
        for n, row in enumerate(self.rows, 1):
            texts = row.get("texts")
            if not isinstance(row.get("text"), str) and not (
                    isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts)):
                raise LLMError(f"{path}:{n}: each line needs a \"text\" string or a \"texts\" "
                               "list of strings")
        self.position = 0
        self.requests: list[Request] = []
        self.batches: list[tuple[int, bool]] = []   # (candidates asked for, first greedy)

    def _complete(self, request: Request) -> str:
        self.requests.append(request)
        if self.position >= len(self.rows):
            raise LLMError(f"script {self.path} has no more answers (it has {len(self.rows)}; "
                           f"this was request {self.position + 1})")
        row = self.rows[self.position]
        self.position += 1
        return row["text"] if "text" in row else row["texts"][0]

    def _batch(self, request: Request, n: int, greedy_first: bool, until, progress) -> list[str]:
        """One line answers one batched request: its ``"texts"`` (the candidates), or its
        ``"text"`` as the only one."""
        self.requests.append(request)
        self.batches.append((n, greedy_first))
        if self.position >= len(self.rows):
            raise LLMError(f"script {self.path} has no more answers (it has {len(self.rows)}; "
                           f"this was request {self.position + 1})")
        row = self.rows[self.position]
        self.position += 1
        texts = row.get("texts")
        return [str(t) for t in texts] if isinstance(texts, list) and texts else [row["text"]]

    def describe(self) -> dict:
        return {"backend": self.spec, "kind": "script (test double)",
                "answers": f"{self.position} of {len(self.rows)} used"}


class ReplayBackend(Backend):
    """Test double: the generations a recording run saved, looked up by request."""

    def __init__(self, spec: str, path: str):
        super().__init__(spec)
        self.path = path
        self.answers: dict[str, str] = {}
        for row in _read_jsonl(path, "recording"):
            if "key" not in row:
                raise LLMError(f"{path} is not a recording (a line has no \"key\"); "
                               "for canned answers in order use script:FILE")
            self.answers[row["key"]] = row["text"]

    def _complete(self, request: Request) -> str:
        try:
            return self.answers[request.key()]
        except KeyError:
            first = request.messages[-1][1].splitlines()[0][:60] if request.messages else ""
            raise ReplayMissError(
                f"replay {self.path} never recorded this request (last message "
                f"{first!r}, max_tokens={request.max_tokens}, adapter={request.adapter}); "
                f"record it again with UVM_LLM_RECORD={self.path}") from None

    def _batch(self, request: Request, n: int, greedy_first: bool, until, progress) -> list[str]:
        key = self.batch_key(request, n, greedy_first)
        if key not in self.answers:
            raise ReplayMissError(f"replay {self.path} never recorded this batched request ({n} "
                                  f"answers); record it again with UVM_LLM_RECORD={self.path}")
        return json.loads(self.answers[key])

    def describe(self) -> dict:
        return {"backend": self.spec, "kind": "replay (test double)",
                "recorded": len(self.answers)}


class RecordingBackend(Backend):
    """Wraps a real backend and appends each request and its answer to a file that
    ``replay:FILE`` can answer from later."""

    def __init__(self, inner: Backend, path: str):
        super().__init__(inner.spec)
        self.inner = inner
        self.path = os.path.abspath(path)
        self._lock = threading.Lock()

    def _save(self, request: Request, text: str) -> None:
        row = {"key": request.key(), "request": request.to_json(), "text": text}
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    def _complete(self, request: Request) -> str:
        # Record the raw answer: replay applies the same stop sequences again.
        text = self.inner._complete(request)
        self._save(request, text)
        return text

    def _stream(self, request: Request) -> Iterator[str]:
        pieces = []
        try:
            for piece in self.inner._stream(request):
                pieces.append(piece)
                yield piece
        finally:  # also when the reader stopped early at a stop sequence
            self._save(request, "".join(pieces))

    def _batch(self, request: Request, n: int, greedy_first: bool, until, progress) -> list[str]:
        texts = self.inner._batch(request, n, greedy_first, until, progress)
        row = {"key": self.batch_key(request, n, greedy_first), "request": request.to_json(),
               "batch": n, "text": json.dumps(texts, ensure_ascii=False)}
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        return texts

    def describe(self) -> dict:
        return {**self.inner.describe(), "recording to": self.path}

    def close(self) -> None:
        self.inner.close()
