"""A small library API on loopback, with an OpenAPI 3 document of its own, for trying
tools (README, "Tools") and for their tests.

    python examples/library_api.py [PORT]     serve it on 127.0.0.1 (default 8080)

Its document is at /openapi.json. From Python, ``LibraryServer()`` starts it in a thread
on a free port (``with`` stops it) and records every request it gets."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "s3cret-token-4711"


def document(port: int) -> dict:
    def param(name, where, kind="string", required=True):
        return {"name": name, "in": where, "required": required, "schema": {"type": kind}}

    def op(op_id, summary, params=(), body=None):
        out = {"operationId": op_id, "summary": summary, "parameters": list(params),
               "responses": {"200": {"description": "ok"}}}
        if body:
            out["requestBody"] = body
        return out
    return {
        "openapi": "3.0.3",
        "info": {"title": "Library", "version": "1.0"},
        "servers": [{"url": f"http://127.0.0.1:{port}"}],
        "paths": {
            "/books": {
                "get": op("searchBooks", "Search books by a word of their title or subject",
                          [param("q", "query"), param("limit", "query", "integer", False)]),
                "post": op("addBook", "Add a book", body={
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewBook"}}}}),
            },
            "/books/{bookId}": {
                "parameters": [{"$ref": "#/components/parameters/BookId"}],
                "get": op("getBook", "One book by its id"),
                "delete": op("removeBook", "Remove a book"),
            },
            "/convert": {"get": op("convertCurrency", "Convert an amount between currencies",
                                   [param("amount", "query", "number"), param("from", "query"),
                                    param("to", "query")])},
            "/away": {"get": op("goAway", "Redirects to another host")},
            "/home": {"get": op("goHome", "Redirects to book 1")},
            "/slow": {"get": op("slowAnswer", "Answers after two seconds")},
            "/big": {"get": op("bigAnswer", "A large answer")},
            "/me": {"get": op("whoAmI", "Who the token belongs to")},
        },
        "components": {
            "parameters": {"BookId": {"name": "bookId", "in": "path", "required": True,
                                      "schema": {"type": "integer"}}},
            "schemas": {"NewBook": {"type": "object", "required": ["title", "author"],
                                    "properties": {"title": {"type": "string"},
                                                   "author": {"type": "string"},
                                                   "year": {"type": "integer"}}}},
        },
    }


class LibraryServer:
    """The library API on 127.0.0.1 at a free port; ``requests`` lists what it got
    (method, path with query, headers, body)."""

    def __init__(self, redirect_to: str = "http://127.0.0.1:9/elsewhere", port: int = 0):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.books = {1: {"id": 1, "title": "Moby Dick", "author": "Herman Melville",
                          "subjects": ["whales", "sea"]},
                      2: {"id": 2, "title": "The Old Man and the Sea",
                          "author": "Ernest Hemingway", "subjects": ["sea", "fishing"]}}
        self.redirect_to = redirect_to
        self.failing_writes = 0   # the next N writes answer 503
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, value, headers=()):
                data = value if isinstance(value, bytes) else json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server.lock:
                    server.requests.append((self.command, self.path, dict(self.headers), body))
                server.route(self, urlsplit(self.path), body)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, h, url, body):
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path
        if path == "/openapi.json":
            return h._answer(200, document(self.port))
        if path == "/books" and h.command == "GET":
            word = q.get("q", "").lower()
            found = [b for b in self.books.values()
                     if word in b["title"].lower() or word in b["subjects"]]
            return h._answer(200, found[:int(q.get("limit", 100))])
        if h.command != "GET" and self.failing_writes > 0:
            self.failing_writes -= 1
            return h._answer(503, {"error": "the library is closed for the night"})
        if path == "/books" and h.command == "POST":
            data = json.loads(body or b"{}")
            if not data.get("title"):
                return h._answer(400, {"error": "a book needs a title"})
            book = {"id": max(self.books) + 1, "subjects": [], **data}
            self.books[book["id"]] = book
            return h._answer(201, book)
        if path.startswith("/books/"):
            try:
                book_id = int(path.rsplit("/", 1)[1])
            except ValueError:
                return h._answer(400, {"error": "a book id is a number"})
            if book_id not in self.books:
                return h._answer(404, {"error": f"no book {book_id}"})
            if h.command == "DELETE":
                return h._answer(200, self.books.pop(book_id))
            return h._answer(200, self.books[book_id])
        if path == "/convert":
            return h._answer(200, {"amount": round(float(q["amount"]) * 1.1, 2),
                                   "from": q["from"], "to": q["to"]})
        if path == "/away":
            return h._answer(302, {}, [("Location", self.redirect_to)])
        if path == "/home":
            return h._answer(302, {}, [("Location", "/books/1")])
        if path == "/slow":
            time.sleep(2)
            return h._answer(200, {"slow": True})
        if path == "/big":
            return h._answer(200, {"data": "x" * 200_000})
        if path == "/me":
            token = h.headers.get("Authorization", "")
            if token != f"Bearer {TOKEN}":
                return h._answer(401, {"error": f"the token {token!r} is not known"})
            return h._answer(403, {"error": f"{token} may not ask who it is"})
        return h._answer(404, {"error": f"no route {path}"})

    def count(self, method: str, prefix: str = "") -> int:
        with self.lock:
            return sum(1 for m, p, _, _ in self.requests if m == method and p.startswith(prefix))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


if __name__ == "__main__":
    import sys
    with LibraryServer(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8080) as library:
        print(f"serving the library API on {library.url} (its document: {library.url}/openapi.json); "
              "Ctrl-C stops it", flush=True)
        try:
            library.thread.join()
        except KeyboardInterrupt:
            pass
