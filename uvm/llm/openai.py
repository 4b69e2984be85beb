"""``openai:URL[#MODEL]``: any server that speaks OpenAI's chat-completions protocol
(vLLM, the llama.cpp server, Ollama, ...), through the standard library's HTTP client.

``URL`` is the server's base (``http://host:8000`` or ``http://host:8000/v1``); ``MODEL``
is sent as the request's ``model`` (default ``default``). A persona adapter is sent as the
model name when one is asked for (vLLM serves LoRA adapters under their own names).
"""
from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from typing import Iterator

from uvm.llm.backend import Backend, Request
from uvm.llm.errors import MalformedResponseError, ServerError

DEFAULT_TIMEOUT = float(os.environ.get("UVM_LLM_TIMEOUT", "120"))


class OpenAIBackend(Backend):
    def __init__(self, spec: str, url: str, model: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, api_key: str | None = None):
        super().__init__(spec)
        base = url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ServerError(f"openai: needs an http:// or https:// URL, not {url!r}")
        self.endpoint = base + ("/chat/completions" if base.endswith("/v1")
                                else "/v1/chat/completions")
        self.model = model or "default"
        self.timeout = timeout
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")

    def _body(self, request: Request, stream: bool) -> bytes:
        body = {"model": request.adapter or self.model, "messages": request.message_dicts(),
                "max_tokens": request.max_tokens, "temperature": request.temperature,
                "stream": stream}
        if request.stop:
            body["stop"] = list(request.stop)
        if request.seed is not None:
            body["seed"] = request.seed
        return json.dumps(body).encode()

    def _open(self, request: Request, stream: bool):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.endpoint, data=self._body(request, stream),
                                     headers=headers, method="POST")
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            detail = e.read(500).decode("utf-8", "replace").strip()
            raise ServerError(f"the server at {self.endpoint} answered HTTP {e.code} "
                              f"{e.reason}: {detail or '(no body)'}") from None
        except urllib.error.URLError as e:
            reason = e.reason if not isinstance(e.reason, str) else e.reason
            raise ServerError(f"cannot reach the language-model server at {self.endpoint}: "
                              f"{reason}; is it running?") from None
        except (socket.timeout, TimeoutError):
            raise ServerError(f"the server at {self.endpoint} did not answer within "
                              f"{self.timeout:g} s") from None

    def _complete(self, request: Request) -> str:
        with self._open(request, stream=False) as resp:
            try:
                raw = resp.read()
            except (socket.timeout, TimeoutError):
                raise ServerError(f"the server at {self.endpoint} stopped answering "
                                  f"(timeout {self.timeout:g} s)") from None
        try:
            data = json.loads(raw)
            content = data["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise MalformedResponseError(
                f"the server at {self.endpoint} did not answer in the chat-completions "
                f"format (expected choices[0].message.content): {raw[:200]!r}") from None
        if not isinstance(content, str):
            raise MalformedResponseError(f"the server at {self.endpoint} sent a non-text "
                                         f"message content: {content!r:.200}")
        return content

    def _stream(self, request: Request) -> Iterator[str]:
        with self._open(request, stream=True) as resp:
            try:
                for line in resp:
                    line = line.strip()
                    if not line or not line.startswith(b"data:"):
                        continue
                    payload = line[5:].strip()
                    if payload == b"[DONE]":
                        return
                    try:
                        delta = json.loads(payload)["choices"][0].get("delta", {})
                    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                        raise MalformedResponseError(
                            f"the server at {self.endpoint} sent a malformed stream event: "
                            f"{payload[:200]!r}") from None
                    if delta.get("content"):
                        yield delta["content"]
            except (socket.timeout, TimeoutError):
                raise ServerError(f"the server at {self.endpoint} stopped streaming "
                                  f"(timeout {self.timeout:g} s)") from None

    def describe(self) -> dict:
        return {"backend": self.spec, "kind": "OpenAI-compatible server",
                "endpoint": self.endpoint, "model": self.model}
