"""openai: against a real HTTP server on the loopback interface, started by the test,
that speaks the chat-completions protocol (plain and streamed)."""
from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from uvm.llm.errors import MalformedResponseError, ServerError
from uvm.llm.settings import make_backend


class Handler(BaseHTTPRequestHandler):
    mode = "ok"
    seen: list = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, body))
        answer = "Echo: " + body["messages"][-1]["content"]
        if self.mode == "malformed":
            return self._send(200, b'{"choices": []}')
        if self.mode == "error":
            return self._send(500, b'{"error": "model exploded"}')
        if self.mode == "slow":
            import time
            time.sleep(1)
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in range(0, len(answer), 4):
                event = {"choices": [{"index": 0, "delta": {"content": answer[i:i + 4]}}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            return
        reply = {"id": "x", "object": "chat.completion", "model": body["model"],
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": answer},
                              "finish_reason": "stop"}]}
        self._send(200, json.dumps(reply).encode())

    def _send(self, code, data):
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except BrokenPipeError:  # the client gave up (the timeout test)
            pass


@pytest.fixture
def server():
    Handler.mode = "ok"
    Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_complete_and_stream(server):
    b = make_backend(f"openai:{server}/v1#tiny")
    assert b.complete("hello there", max_tokens=7, temperature=0.5, seed=3) == "Echo: hello there"
    path, body = Handler.seen[-1]
    assert path == "/v1/chat/completions"
    assert body["model"] == "tiny" and body["max_tokens"] == 7 and body["seed"] == 3
    assert body["messages"] == [{"role": "user", "content": "hello there"}]
    pieces = list(b.stream("streaming works", stop=["works"]))
    assert len(pieces) > 1 and "".join(pieces) == "Echo: streaming "
    assert Handler.seen[-1][1]["stop"] == ["works"]
    b.complete("x", adapter="ROBIN")
    assert Handler.seen[-1][1]["model"] == "ROBIN"


def test_base_url_without_v1(server):
    b = make_backend(f"openai:{server}")
    assert b.complete("a") == "Echo: a"
    assert Handler.seen[-1][0] == "/v1/chat/completions"


def test_dead_server_says_so():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(ServerError, match="cannot reach .* is it running"):
        make_backend(f"openai:http://127.0.0.1:{port}").complete("hi")


def test_malformed_and_error_responses(server):
    b = make_backend(f"openai:{server}")
    Handler.mode = "malformed"
    with pytest.raises(MalformedResponseError, match="chat-completions format"):
        b.complete("hi")
    Handler.mode = "error"
    with pytest.raises(ServerError, match="HTTP 500.*model exploded"):
        b.complete("hi")


def test_timeout(server):
    from uvm.llm.openai import OpenAIBackend
    Handler.mode = "slow"
    with pytest.raises(ServerError, match="did not answer within|stopped answering"):
        OpenAIBackend("openai:x", server, timeout=0.3).complete("hi")
