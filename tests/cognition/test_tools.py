"""Tools (issue 16): capabilities, tool proxies, the outbox -- against a real HTTP server
on loopback started by each test (``library_api``), with an OpenAPI document of its own.
Nothing of HTTP is mocked. The model path runs on the ``script:`` test double (named as
such), and once on the real embedded model."""
from __future__ import annotations

import json

import pytest

import uvm
from uvm.cognition.tools import capability as caps
from uvm.cognition.tools import outbox
from uvm.llm.doubles import ScriptBackend
from uvm.llm.synthesis import pipeline
from uvm.runtime.errors import UvmError

from .library_api import TOKEN, LibraryServer, document


@pytest.fixture
def server():
    with LibraryServer() as s:
        yield s


@pytest.fixture
def image(tmp_path):
    im = uvm.open(str(tmp_path / "tools.fs"))
    yield im
    pipeline.uninstall()
    im.close()


def grant(image, server, allow="GET,POST,DELETE"):
    return image.eval(f"tools grant: 'library' Url: '{server.url}' "
                      f"Spec: '{server.url}/openapi.json' Allow: '{allow}'")


def set_limits(image, **limits):
    """Change a granted capability's limits from Python (the CLI's --rate etc.)."""
    def change():
        cap = caps.registry(image.connection.root()).capabilities["library"]
        for k, v in limits.items():
            setattr(cap, k, v)
    image.run(change, "limits", "test")


def paths(server, method="GET"):
    return [p for m, p, _, _ in server.requests if m == method and p != "/openapi.json"]


def script(tmp_path, *answers):
    path = tmp_path / "answers.jsonl"
    path.write_text("".join(json.dumps({"text": a}) + "\n" for a in answers))
    return ScriptBackend("script:" + str(path), str(path))


# --- operations by operationId, without the model ----------------------------------------------

def test_operations_map_by_operation_id_with_path_query_and_body_parameters(image, server):
    assert "10 operations" in grant(image, server)
    assert image.eval("(tools library getBook: 1) at: 'title'") == "Moby Dick"
    assert image.eval("(tools library searchBooks: 'sea') size") == 2
    assert image.eval("(tools library searchBooks: 'sea' Limit: 1) size") == 1
    assert image.eval("(tools library convertCurrency: 10 From: 'EUR' To: 'USD') at: 'amount'") == 11.0
    assert paths(server) == ["/books/1", "/books?q=sea", "/books?q=sea&limit=1",
                             "/convert?amount=10&from=EUR&to=USD"]
    # JSON answers are UVM values all the way down
    assert image.eval("((tools library getBook: 1) at: 'subjects') at: 0") == "whales"
    # a JSON body from the required properties, sent when the evaluation commits
    image.eval("lobby _AddSlots: (| w <- nil |). w: (tools library addBook: 'Dune' Author: 'Frank Herbert')")
    (method, path, headers, body), = [r for r in server.requests if r[0] == "POST"]
    assert (path, json.loads(body)) == ("/books", {"title": "Dune", "author": "Frank Herbert"})
    assert headers["Content-Type"] == "application/json" and headers["Idempotency-Key"]
    assert image.eval("w state") == "sent"
    assert image.eval("w status") == 201
    assert image.eval("w answer at: 'id'") == 3


def test_generated_methods_persist_with_provenance_and_call_only_the_capability(image, server):
    grant(image, server)
    image.eval("tools library getBook: 2")
    proxy = image.lobby.send("tools").send("library")
    method = proxy._slots["getBook:"]
    assert method.provenance["generated"] == "from the OpenAPI document"
    assert method.provenance["operation"] == "getBook" and method.provenance["synthesized"]
    assert "self.call_With_('getBook', {'bookId': bookId})" in method.source
    image.close()
    again = uvm.open(image.path)
    try:  # a new process's view: the method is there, no generation needed
        assert again.eval("(tools library getBook: 2) at: 'author'") == "Ernest Hemingway"
    finally:
        again.close()


def test_an_http_error_is_a_uvm_error_with_the_status_and_the_servers_message(image, server):
    grant(image, server)
    with pytest.raises(UvmError, match=r"library getBook: HTTP 404 Not Found: no book 99"):
        image.eval("tools library getBook: 99")
    assert image.eval("[tools library getBook: 99] onError: [| :e | e message size > 0]") is True


def test_a_selector_that_spells_no_operation_needs_the_model(image, server):
    grant(image, server)
    with pytest.raises(UvmError, match=r"doesNotUnderstand: #shelfOf:"):
        image.eval("tools library shelfOf: 'x'")
    with pytest.raises(UvmError, match=r"did you mean #getBook:"):
        image.eval("tools library getBok: 1")
    assert paths(server) == []


# --- grants and refusals -----------------------------------------------------------------------

def test_with_no_grant_or_after_revoke_a_clear_refusal(image, server):
    with pytest.raises(UvmError, match=r"no capability named 'library' is granted"):
        image.eval("tools library getBook: 1")
    grant(image, server)
    assert image.eval("(tools library getBook: 1) at: 'id'") == 1
    image.eval("tools revoke: 'library'")  # at once: the proxy is still there, its door is not
    with pytest.raises(UvmError, match=r"the capability 'library' was revoked"):
        image.eval("tools library getBook: 1")
    with pytest.raises(UvmError, match=r"was revoked"):
        image.eval("tools library searchBooks: 'sea'")
    assert paths(server) == ["/books/1"]
    grant(image, server)  # granting again lifts the revocation, and the log is kept
    assert image.eval("(tools library getBook: 2) at: 'id'") == 2
    image.tm.abort()
    log = caps.registry(image.connection.root()).capabilities["library"].log
    assert [e["target"] for e in log.values()] == ["/books/1", "/books/2"]


def test_only_the_allowed_methods_and_the_documents_paths(image, server):
    grant(image, server, allow="GET")
    with pytest.raises(UvmError, match=r"library does not allow POST /books"):
        image.eval("tools library addBook: 'X' Author: 'Y'")
    with pytest.raises(UvmError, match=r"does not allow GET /admin"):
        image.eval("tools library get: '/admin'")
    with pytest.raises(UvmError, match=r"has a \. or \.\. part"):
        image.eval("tools library get: '/books/../admin'")
    assert image.eval("(tools library get: '/books/2') at: 'id'") == 2
    assert paths(server) == ["/books/2"]
    assert server.count("POST") == 0


# --- writes and the transaction ------------------------------------------------------------------

def test_a_failed_evaluation_that_would_have_posted_sends_nothing(image, server):
    grant(image, server)
    with pytest.raises(UvmError, match="division by zero"):
        image.eval("tools library addBook: 'Dune' Author: 'Frank Herbert'. 1 / 0")
    assert server.count("POST") == 0
    assert outbox.waiting(caps.registry(image.connection.root())) == []


def test_a_committed_evaluation_sends_exactly_one_request(image, server):
    grant(image, server)
    image.eval("tools library addBook: 'Dune' Author: 'Frank Herbert'. 3 + 4")
    assert server.count("POST") == 1
    image.eval("3 + 4")  # later evaluations send nothing again
    assert server.count("POST") == 1
    assert "Dune" in [b["title"] for b in server.books.values()]


def test_reads_happen_at_once_and_a_rolled_back_one_is_still_logged(image, server):
    grant(image, server)
    with pytest.raises(UvmError):
        image.eval("tools library getBook: 1. 1 / 0")
    assert paths(server) == ["/books/1"]  # a read is not held back: it reached the server
    image.tm.abort()
    entry, = caps.registry(image.connection.root()).capabilities["library"].log.values()
    assert entry["target"] == "/books/1" and entry["outcome"] == "rolled back"
    assert entry["status"] == 200 and "getBook: 1" in entry["line"]


def test_a_write_that_fails_after_the_commit_is_kept_visible_and_retried(image, server, capfd):
    grant(image, server)
    server.failing_writes = 1
    image.eval("tools library addBook: 'Dune' Author: 'Frank Herbert'")  # the thought commits
    assert "failed after the commit" in capfd.readouterr().err
    image.tm.abort()
    waiting, = outbox.waiting(caps.registry(image.connection.root()))
    assert waiting["state"] == "failed" and "503" in waiting["error"]
    assert image.eval("tools outbox size") == 1
    result = outbox.retry(image, waiting["id"])
    assert result["state"] == "sent" and result["status"] == 201
    assert server.count("POST") == 2
    assert outbox.waiting(caps.registry(image.connection.root())) == []
    sent = [e for e in caps.registry(image.connection.root()).capabilities["library"].log.values()
            if e["method"] == "POST"]
    assert [e["outcome"] for e in sent] == ["failed", "sent"]


def test_undo_takes_back_the_evaluation_but_cannot_unsend(image, server):
    grant(image, server)
    image.eval("tools library addBook: 'Dune' Author: 'Frank Herbert'")
    evaluation = next(e for e in image.history(10) if e.origin == "api")
    image.undo(evaluation.id)
    assert "Dune" in [b["title"] for b in server.books.values()]  # sent is sent
    reg = caps.registry(image.connection.root())
    assert [e["method"] for e in reg.capabilities["library"].log.values()] == ["POST"]
    assert len(reg.outbox) == 0


def test_a_queued_write_is_dropped_with_a_rolled_back_savepoint(image, server):
    grant(image, server)

    def thought():
        sp = image.tm.savepoint()
        image.lobby.send("tools").send("library").send("addBook:Author:", "Wrong", "W")
        sp.rollback()
        image.lobby.send("tools").send("library").send("addBook:Author:", "Right", "R")
    image.run(thought, "a thought with a rolled-back part", "test")
    assert [json.loads(b)["title"] for m, _, _, b in server.requests if m == "POST"] == ["Right"]


# --- safety ----------------------------------------------------------------------------------------

def test_the_rate_limit_holds(image, server):
    grant(image, server)
    set_limits(image, rate=(3, 60.0))
    for i in (1, 2, 1):
        image.eval(f"tools library getBook: {i}")
    with pytest.raises(UvmError, match=r"rate limit of 3 calls in 60 s is reached"):
        image.eval("tools library getBook: 2")
    with pytest.raises(UvmError, match=r"rate limit"):
        image.eval("tools library addBook: 'Dune' Author: 'Frank Herbert'")
    assert len(paths(server)) == 3 and server.count("POST") == 0


def test_an_off_host_redirect_is_refused_and_an_on_host_one_followed(image):
    with LibraryServer() as elsewhere, LibraryServer(redirect_to=None) as server:
        server.redirect_to = elsewhere.url + "/books/1"
        grant(image, server)
        with pytest.raises(UvmError, match=r"redirected to http://127\.0\.0\.1:\d+/books/1, "
                                           r"which is not .*the redirect was not followed"):
            image.eval("tools library goAway")
        assert elsewhere.requests == []
        assert image.eval("tools library goHome at: 'title'") == "Moby Dick"


def test_time_and_size_limits(image, server):
    grant(image, server)
    set_limits(image, timeout=0.5, max_bytes=50_000)
    with pytest.raises(UvmError, match=r"no answer within 0\.5 s"):
        image.eval("tools library slowAnswer")
    with pytest.raises(UvmError, match=r"more than the capability's limit of 50,000"):
        image.eval("tools library bigAnswer")


def test_a_secret_header_is_sent_but_never_shown(image, server, monkeypatch, tmp_path):
    grant(image, server)
    monkeypatch.setenv("LIB_TOKEN", f"Bearer {TOKEN}")
    image.eval("tools secretHeader: 'Authorization' FromEnvironment: 'LIB_TOKEN' For: 'library'")
    with pytest.raises(UvmError) as err:
        image.eval("tools library whoAmI")
    assert "403" in str(err.value) and TOKEN not in str(err.value)  # the server echoed it
    assert server.requests[-1][2]["Authorization"] == f"Bearer {TOKEN}"
    backend = script(tmp_path, "def booksAbout_(self, text):\n    return self.searchBooks_(text)\n")
    pipeline.install(image, backend=backend)
    assert image.eval("(tools library booksAbout: 'whales') size") == 1
    prompts = json.dumps([r.messages for r in backend.requests])
    assert "searchBooks_(q)" in prompts and TOKEN not in prompts
    from uvm.image.fileout import file_out
    text = file_out(image.lobby, "tools", image.path)
    assert "booksAbout:" in text and TOKEN not in text
    assert all(TOKEN not in e.source for e in image.history(50))
    image.tm.abort()
    log = caps.registry(image.connection.root()).capabilities["library"].log.values()
    assert TOKEN not in json.dumps(list(log))


# --- the model path ----------------------------------------------------------------------------------

def test_the_model_maps_another_selector_onto_the_operations(image, server, tmp_path):
    grant(image, server)
    backend = script(tmp_path,
                     "def booksAbout_(self, text):\n    return self.tools.library.searchBooks_(text)\n",
                     "def booksAbout_(self, text):\n"
                     "    return [b['title'] for b in self.searchBooks_(text)]\n")
    pipeline.install(image, backend=backend)
    assert image.eval("tools library booksAbout: 'whales'") == ["Moby Dick"]
    first, second = backend.requests
    brief = first.messages[-2][1]
    assert "self.searchBooks_(q): GET /books (q in query)" in brief
    assert "Write the method `booksAbout:`" in brief
    assert "may use self only to call its tool's operations" in second.messages[-2][1]
    proxy = image.lobby.send("tools").send("library")
    method = proxy._slots["booksAbout:"]
    assert method.provenance["tool"] == "library" and method.provenance["attempts"] == 2
    assert image.eval("tools library booksAbout: 'sea'") == ["Moby Dick", "The Old Man and the Sea"]
    assert len(backend.requests) == 2  # written once


def test_a_failed_attempt_of_the_model_sends_nothing(image, server, tmp_path):
    grant(image, server)
    backend = script(tmp_path,
                     "def shelve_(self, text):\n    self.addBook_Author_(text, 'first try')\n"
                     "    return 1 / 0\n",
                     "def shelve_(self, text):\n    return self.addBook_Author_(text, 'second try')\n")
    pipeline.install(image, backend=backend)
    image.eval("tools library shelve: 'Dune'")
    posted = [json.loads(b) for m, _, _, b in server.requests if m == "POST"]
    assert posted == [{"title": "Dune", "author": "second try"}]


def test_a_declined_method_sends_nothing_and_stays_out(image, server, tmp_path):
    """Approval mode (the REPL's): the method's first run is in a savepoint, so a write it
    queued is dropped when the person declines it; accepted, it is sent once."""
    grant(image, server)
    backend = script(tmp_path, *["def shelve_(self, text):\n"
                                 "    return self.addBook_Author_(text, 'Frank Herbert')\n"] * 2)
    synth = pipeline.install(image, backend=backend)
    seen = []
    synth.approver = lambda sel, code, where: seen.append((sel, code)) or False
    with pytest.raises(UvmError, match="declined"):
        image.eval("tools library shelve: 'Dune'")
    assert seen and seen[0][0] == "shelve:" and "addBook_Author_" in seen[0][1]
    assert server.count("POST") == 0
    assert "shelve:" not in image.lobby.send("tools").send("library")._slots
    synth.approver = lambda sel, code, where: True
    image.eval("tools library shelve: 'Dune'")
    assert server.count("POST") == 1


def test_model_written_code_elsewhere_uses_a_tool_but_cannot_grant(image, server, tmp_path):
    grant(image, server)
    image.eval("lobby _AddSlots: (| shelf = (| parent* = traits clonable |) |)")
    backend = script(tmp_path,
                     "def titleOf_(self, n):\n    return self.tools.library.getBook_(n)['title']\n",
                     "def sneak_(self, text):\n"
                     "    return self.tools.grant_Url_(text, 'http://127.0.0.1:9')\n",
                     "def sneak_(self, text):\n    return self.tools.revoke_('library')\n",
                     "def sneak_(self, text):\n    return self.tools.names\n")
    pipeline.install(image, backend=backend)
    assert image.eval("shelf titleOf: 2") == "The Old Man and the Sea"
    image.eval("shelf sneak: 'evil'")  # the first two answers were refused, the third passed
    feedback = json.dumps([r.messages[-2][1] for r in backend.requests[2:]])
    assert "cannot grant a capability" in feedback and "cannot revoke a capability" in feedback
    assert image.eval("tools names") == ["library"]
    assert image.eval("(tools library getBook: 1) at: 'id'") == 1


def test_the_core_world_upgrade_brings_the_tools(tmp_path):
    path = str(tmp_path / "old.fs")
    with uvm.open(path) as im:
        def make_old():
            root = im.connection.root()
            im.lobby._slots["globals"].remove_slot("tools")
            for name in ("toolbox", "tool", "toolWrite"):
                im.lobby._slots["traits"].remove_slot(name)
            root["uvm.core_version"] = 6
        im.run(make_old, "an image from before tools", "test")
    with uvm.open(path) as im:
        assert im.eval("tools names size") == 0
        assert im.connection.root()["uvm.core_version"] >= 11


@pytest.mark.skipif("not __import__('importlib').util.find_spec('torch')",
                    reason="the llm extra is not installed (make test installs it)")
def test_the_embedded_model_maps_a_selector_onto_an_operation(image, server, embedded_backend,
                                                              monkeypatch, tmp_path):
    """A document of the library's two book reads only: a short brief for a slow CPU. The
    135M base model often cannot map this selector (its answer is prose or garbled code);
    then the failure must be clean: a UVM error that names the send, no method kept, no
    write sent."""
    monkeypatch.setenv("UVM_LLM_TIMEOUT", "200")  # two generations fit the deadline on busy cores
    doc = document(server.port)
    books, book = doc["paths"]["/books"], doc["paths"]["/books/{bookId}"]
    doc["paths"] = {"/books": {"get": books["get"]},
                    "/books/{bookId}": {"parameters": book["parameters"], "get": book["get"]}}
    (tmp_path / "books.json").write_text(json.dumps(doc))
    image.eval(f"tools grant: 'library' Url: '{server.url}' Spec: '{tmp_path / 'books.json'}'")
    pipeline.install(image, attempts=2, backend=embedded_backend)
    try:
        answer = image.eval("tools library booksAbout: 'whales'")
    except pipeline.SynthesisFailed as e:
        assert "#booksAbout:" in str(e) and "Traceback" not in str(e)
        proxy = image.lobby.send("tools").send("library")
        assert "booksAbout:" not in proxy._slots
        assert not any(paths(server, m) for m in ("POST", "PUT", "PATCH", "DELETE"))
        return
    proxy = image.lobby.send("tools").send("library")
    method = proxy._slots["booksAbout:"]
    assert method.provenance["tool"] == "library" and method.provenance["synthesized"]
    assert any(p.startswith("/books") for p in paths(server)), (method.source, paths(server))
    assert answer is not None, method.source
