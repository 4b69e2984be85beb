"""``uvm memory ...`` as a person runs it, and curation with blobs on a real ZEO server
(``uvm serve``) shared by this process and a ``uvm memory recall`` client process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import uvm
from uvm.cognition.memory import api

pytest.importorskip("bm25s")

DEADLINE = 420  # seconds a subprocess may take (it loads the embedding model on 2 busy cores)


def uvm_cmd(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "uvm.cli", *args], capture_output=True, text=True,
                          timeout=DEADLINE, cwd=cwd)


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


ROWS = [{"id": "n1", "text": "Our cat Mochi sleeps on the radiator", "time": "2023-01-05",
         "session": "home", "speaker": "Ana"},
        {"id": "n2", "text": "The dentist appointment moved to Friday at nine",
         "time": "2023-01-06T08:00:00Z", "session": "home", "speaker": "Ana"},
        {"id": "n3", "text": "I repaired the bike's back wheel", "speaker": "Bo"},
        {"id": "n4", "text": "We planted tulips by the gate", "time": "2023-03-01T10:00:00+01:00"}]


def test_ingest_then_recall_json_has_exactly_id_text_score_best_first(tmp_path):
    image = str(tmp_path / "live_image.fs")
    data = tmp_path / "notes.jsonl"
    write_jsonl(data, ROWS)
    done = uvm_cmd("memory", "ingest", str(data), "--image", image)
    assert done.returncode == 0, done.stderr
    assert "remembered 4 memories" in done.stdout
    got = uvm_cmd("memory", "recall", "When is the dentist?", "-k", "3", "--json", "--image", image)
    assert got.returncode == 0, got.stderr
    hits = json.loads(got.stdout)
    assert isinstance(hits, list) and len(hits) == 3
    assert all(set(h) == {"id", "text", "score"} for h in hits)
    assert hits[0]["id"] == "n2" and hits[0]["text"] == ROWS[1]["text"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    stats = uvm_cmd("memory", "stats", "--json", "--image", image)
    assert json.loads(stats.stdout)["live"] == 4


def test_a_bad_file_names_its_line_and_changes_nothing(tmp_path):
    image = str(tmp_path / "live_image.fs")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(ROWS[0]) + "\n" + '{"id": "n9", "text": "x", "time": "last week"}\n')
    done = uvm_cmd("memory", "ingest", str(bad), "--image", image)
    assert done.returncode == 1
    assert "bad.jsonl:2" in done.stderr and "ISO 8601" in done.stderr
    assert "Traceback" not in done.stderr
    with uvm.open(image) as im:
        assert im.eval("memory size") == 0
    for args, why in ((["memory", "ingest", str(tmp_path / "missing.jsonl")], "cannot read"),
                      (["memory", "recall", "x", "-k", "0"], "at least 1")):
        res = uvm_cmd(*args, "--image", image)
        assert res.returncode in (1, 2) and why in res.stderr


@pytest.fixture
def zeo_server(tmp_path):
    from tests.image.test_zeo import free_port
    path = str(tmp_path / "shared.fs")
    uvm.open(path).close()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvm.cli", "serve", "--image", path,
                             "--address", f"127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().startswith("serving")
        yield f"zeo://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_curation_round_trip_with_blobs_on_zeo(zeo_server, tmp_path):
    from tests.cognition.test_memory import TOPICS
    records = [{"id": f"z{i}", "text": f"{t} (week {i})", "speaker": "Ana", "session": topic,
                "time": f"2023-05-{1 + i % 27:02d}"}
               for i, (topic, t) in enumerate((topic, t) for topic, texts in TOPICS.items()
                                              for t in texts * 3)]
    with uvm.open(zeo_server) as image:
        image.eval("memory setting: 'liveBound' To: 0")
        image.run(lambda: api.ingest(image, records), "ingest", "memory")
        report = image.run(lambda: api.curate(image, 12), "curate", "memory")
        curated = image.history(1)[0].id
        assert report.summaries >= 2
        store = api.store_for(image)
        image.tm.begin()
        archived = [r for r in records if store.ids[r["id"]] not in store.live]
        image.tm.abort()
        assert archived
    # another process, through the server: recall lands on a summary and reads its BLOB
    probe = archived[0]
    got = uvm_cmd("memory", "recall", probe["text"], "-k", "5", "--json", "--image", zeo_server)
    assert got.returncode == 0, got.stderr
    assert probe["id"] in [h["id"] for h in json.loads(got.stdout)]
    with uvm.open(zeo_server) as image:
        store = api.store_for(image)
        assert image.eval("(memory archived: id) text", names={"id": probe["id"]}) == probe["text"]
        image.tm.begin()
        summary = store.get(store.ids[probe["id"]])
        image.tm.abort()
        image.eval("memory rehydrate: s", names={"s": summary})
        image.tm.begin()
        assert store.ids[probe["id"]] in store.live
        image.tm.abort()
        # undo back to before the curation: the rehydration, the other client's recall
        # (it counted an access on a summary), then the curation itself
        for e in image.history(10):
            image.undo(e.id)
            if e.id == curated:
                break
        image.tm.begin()
        assert store.live_count == len(records) and store.archived_count == 0
        image.tm.abort()
    assert os.path.exists(tmp_path / "shared.blobs")
