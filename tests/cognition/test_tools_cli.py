"""``uvm tools ...`` as real processes, against the example library API on loopback."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .library_api import TOKEN, LibraryServer, document

DEADLINE = 120


def uvm(image, *args, env=None):
    done = subprocess.run([sys.executable, "-m", "uvm.cli", "--image", image, *args],
                          capture_output=True, text=True, timeout=DEADLINE,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("UVM_")},
                               "UVM_CACHE_DIR": os.path.dirname(image), **(env or {})})
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def server():
    with LibraryServer() as s:
        yield s


def test_grant_use_log_outbox_and_revoke(tmp_path, server):
    image = str(tmp_path / "img.fs")
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(document(server.port)))
    rc, out, err = uvm(image, "tools", "grant", "library", server.url, "--spec", str(spec),
                       "--allow", "GET,POST", "--rate", "50/m",
                       "--secret-header", "Authorization=LIB_TOKEN",
                       env={"LIB_TOKEN": f"Bearer {TOKEN}"})
    assert (rc, err) == (0, ""), err
    assert "granted library" in out and "secret Authorization" in out and TOKEN not in out
    rc, out, _ = uvm(image, "tools", "list")
    assert rc == 0 and "library" in out and "50/m" in out and "Authorization" in out
    assert TOKEN not in out
    rc, out, err = uvm(image, "-p", "(tools library getBook: 1) at: 'title'")
    assert (rc, out.strip()) == (0, "'Moby Dick'"), err
    assert server.requests[-1][2]["Authorization"] == f"Bearer {TOKEN}"
    rc, _, err = uvm(image, "-c", "tools library addBook: 'Dune' Author: 'Frank Herbert'")
    assert rc == 0, err
    assert server.count("POST") == 1
    rc, out, _ = uvm(image, "tools", "log", "library")
    assert rc == 0 and "GET    /books/1" in out and "POST   /books" in out and "sent" in out
    rc, out, _ = uvm(image, "tools", "log", "library", "--json")
    rows = json.loads(out)
    assert [r["method"] for r in rows] == ["GET", "POST"] and rows[1]["status"] == 201
    rc, out, _ = uvm(image, "tools", "outbox")
    assert rc == 0 and "the outbox is empty" in out
    rc, out, _ = uvm(image, "history", "-n", "50")
    assert rc == 0 and "tools grant library" in out and TOKEN not in out
    rc, out, _ = uvm(image, "fileout", "tools")
    assert rc == 0 and "getBook:" in out and TOKEN not in out
    raw = open(image, "rb").read()
    assert TOKEN.encode() in raw  # said plainly in the README: the image file holds it
    rc, out, _ = uvm(image, "tools", "revoke", "library")
    assert rc == 0 and "revoked library" in out
    rc, _, err = uvm(image, "-c", "tools library getBook: 1")
    assert rc == 1 and "the capability 'library' was revoked" in err
    assert server.count("GET", "/books/1") == 1


def test_a_failed_write_is_listed_and_retried_from_the_command_line(tmp_path, server):
    image = str(tmp_path / "img.fs")
    assert uvm(image, "tools", "grant", "library", server.url, "--spec",
               server.url + "/openapi.json", "--allow", "GET,POST")[0] == 0
    server.failing_writes = 1
    rc, _, err = uvm(image, "-c", "tools library addBook: 'Dune' Author: 'Frank Herbert'")
    assert rc == 0 and "failed after the commit" in err and "503" in err
    rc, out, _ = uvm(image, "tools", "outbox", "--json")
    (entry,) = json.loads(out)
    assert entry["state"] == "failed" and entry["method"] == "POST"
    rc, out, err = uvm(image, "tools", "outbox", "--retry", entry["id"])
    assert (rc, err) == (0, ""), err
    assert f"sent {entry['id']}: 201" in out
    assert "the outbox is empty" in uvm(image, "tools", "outbox")[1]
    assert server.count("POST") == 2


@pytest.mark.parametrize("args, message", [
    (["tools", "grant", "library", "ftp://x"], "is not an http or https URL"),
    (["tools", "grant", "library", "http://u:p@127.0.0.1:9"], "user name or password"),
    (["tools", "grant", "Library", "http://127.0.0.1:9"], "a tool's name is a unary selector"),
    (["tools", "grant", "library", "http://127.0.0.1:9", "--rate", "fast"], "a rate is CALLS/s"),
    (["tools", "grant", "library", "http://127.0.0.1:9", "--allow", "GET,FETCH"], "--allow takes"),
    (["tools", "grant", "library", "http://127.0.0.1:9", "--secret-header", "X=NO_SUCH_VAR"],
     "NO_SUCH_VAR is not set"),
    (["tools", "grant", "library", "http://127.0.0.1:9", "--spec", "/no/such.json"],
     "cannot read the document"),
    (["tools", "grant", "library", "http://127.0.0.1:9", "--spec", "http://127.0.0.2:9/x.json"],
     "reads its document only from its own host"),
    (["tools", "revoke", "nothing"], "no capability named 'nothing'"),
    (["tools", "log", "nothing"], "no capability named 'nothing'"),
    (["tools", "outbox", "--retry", "abc"], "no write abc in the outbox"),
])
def test_bad_input_is_one_clear_error_and_changes_nothing(tmp_path, args, message):
    image = str(tmp_path / "img.fs")
    assert uvm(image, "-c", "3")[0] == 0
    rc, out, err = uvm(image, *args)
    assert rc == 1 and message in err and "Traceback" not in err, err
    assert "no capabilities granted" in uvm(image, "tools", "list")[1]


def test_a_document_that_is_not_openapi_is_refused_with_where_and_why(tmp_path):
    image = str(tmp_path / "img.fs")
    bad = document(9)
    bad["paths"]["/books"]["get"]["parameters"][0]["in"] = "nowhere"
    for name, text, message in [
            ("bad.json", json.dumps(bad), "paths./books.get.parameters.0"),
            ("swagger.json", json.dumps({"swagger": "2.0"}), "is not an OpenAPI 3 document"),
            ("remote.json", json.dumps({**document(9), "components": {"schemas": {
                "NewBook": {"$ref": "http://127.0.0.1:9/x.json"}}}}), "refers outside itself"),
            ("junk.yaml", "{{ not: [yaml", "neither JSON nor YAML")]:
        (tmp_path / name).write_text(text)
        rc, _, err = uvm(image, "tools", "grant", "library", "http://127.0.0.1:9", "--spec",
                         str(tmp_path / name))
        assert rc == 1 and message in err and "Traceback" not in err, (name, err)


def test_a_stored_model_written_method_uses_a_tool_in_a_fresh_process(tmp_path, server):
    """Nothing imports the tools before the stored method's first send to one: its door
    does, and the membrane lets the send through."""
    image = str(tmp_path / "img.fs")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"text": "def titleOf_(self, n):\n"
                                           "    return self.tools.library.getBook_(n)['title']\n"}))
    assert uvm(image, "tools", "grant", "library", server.url, "--spec",
               server.url + "/openapi.json")[0] == 0
    assert uvm(image, "-c", "lobby _AddSlots: (| shelf = (| parent* = traits clonable |) |)")[0] == 0
    rc, out, err = uvm(image, "--llm", f"script:{answers}", "-p", "shelf titleOf: 2")
    assert (rc, out.strip()) == (0, "'The Old Man and the Sea'"), err
    rc, out, err = uvm(image, "--no-llm", "-p", "shelf titleOf: 1")
    assert (rc, out.strip()) == (0, "'Moby Dick'"), err
    assert server.count("GET", "/books/") == 2
