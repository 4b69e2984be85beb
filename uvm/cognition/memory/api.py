"""The memory's Python interface, for the Synaptic Cycle, the command line and tools.

Every function works in the caller's transaction (an evaluation's, or one the caller
runs with ``image.run``): nothing here commits, so a failed thought remembers nothing.

    remember(image, 'Sam moved to Lyon', session='s3', speaker='Sam', time='2023-05-14')
    recall(image, 'Where does Sam live?', k=5)       -> [Recalled(memory, score, parts, via)]
    remember_thought(image, thought, question, answer) -> (question memory, answer memory)

``image`` may be an Image, a lobby, the ``memory`` object or the running world
(``uvm.runtime.send.world``), so code that UVM calls needs no image of its own: these two
are the seam the Synaptic Cycle looks up (``recall`` for the memories relevant to a text,
``remember_thought`` for a question and its answer).
    curate(image) / rehydrate(image, summary) / stats(image)
"""
from __future__ import annotations

import json

from uvm.cognition.memory import curator, index, vectors
from uvm.cognition.memory.recall import Recalled
from uvm.cognition.memory.recall import recall as _recall
from uvm.cognition.memory.store import Memory, MemoryInputError, MemoryStore, store_of
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmObject

FIELDS = ("id", "text", "time", "session", "speaker", "subject", "importance")
EMBED_BATCH = 64


def memory_object(image) -> UvmObject:
    """The image's ``memory`` object."""
    lobby = image.lobby if hasattr(image, "lobby") else image
    memory = lobby._slots["globals"]._slots.get("memory")
    if not isinstance(memory, UvmObject):
        raise UvmError("this image has no memory object (open it with this UVM to upgrade it)")
    return memory


def store_for(image) -> MemoryStore:
    return store_of(memory_object(image))


def embed(texts: list[str]):
    """Unit vectors of ``texts`` from the shared embedding model, as a UvmError if it is
    missing."""
    from uvm.llm.embedding import embedder
    from uvm.llm.errors import LLMError
    try:
        return embedder().embed(list(texts), batch=EMBED_BATCH)
    except LLMError as e:
        raise UvmError(f"memory: the embedding model is not available: {e}") from None


# --- remembering -------------------------------------------------------------------------------

def remember(image_or_store, text: str, *, id=None, time=None, session=None, speaker=None,
             subject=None, importance=None, about=(), thought=None, persona=None,
             related=(), curate: bool = True) -> Memory:
    """Remember one text; links to ``thought``, ``persona`` and the objects ``about``;
    ``related`` memories are linked both ways."""
    store = _store(image_or_store)
    if not isinstance(text, str) or not text.strip():
        raise MemoryInputError("remember: needs a non-empty string")
    links = tuple(o for o in (thought, persona, *about) if o is not None)
    memory = store.add(text, vectors.pack(embed([text]))[0], id=id, time=time, session=session,
                       speaker=speaker, subject=subject, importance=importance, links=links,
                       related=tuple(m.serial for m in related))
    for other in related:
        other._related = tuple(other.hidden("_related", ())) + (memory.serial,)
    if curate and curator.needs_curation(store):
        curator.curate(store)
    return memory


def remember_many(store: MemoryStore, records: list[dict], vecs=None,
                  curate: bool = True) -> list[Memory]:
    """Remember many records (dictionaries with FIELDS) at once: embeddings in batches,
    then the curator if the bound is passed. ``vecs``: their embeddings, if known."""
    if vecs is None:
        vecs = embed([r["text"] for r in records])
    packed = vectors.pack(vecs)
    out = []
    for rec, v in zip(records, packed):
        out.append(store.add(rec["text"], v, id=rec.get("id"), time=rec.get("time"),
                             session=rec.get("session"), speaker=rec.get("speaker"),
                             subject=rec.get("subject"), importance=rec.get("importance")))
    if curate and curator.needs_curation(store):
        curator.curate(store)
    return out


def remember_thought(image, thought, question: str, answer: str, persona=None,
                     session=None) -> tuple[Memory, Memory]:
    """What a completed thought leaves: its question and its answer, each linked to the
    thought object (and the persona; None: no link), the answer after the question in
    their session (default: one of their own). Called inside the thought's transaction,
    so a failed thought leaves neither."""
    store = _store(image)
    session = session or f"thought-{store.next_serial}"  # the question's serial: unique
    q = remember(store, question, thought=thought, persona=persona, session=session,
                 speaker="question", curate=False)
    a = remember(store, answer, thought=thought, persona=persona, session=session,
                 speaker=persona._slots.get("name") if isinstance(persona, UvmObject) else "answer",
                 related=(q,))
    return q, a


def read_jsonl(path: str) -> list[dict]:
    """The records of a JSON-lines file, checked whole before anything is remembered:
    a bad line is an error that names its line, and nothing is ingested."""
    from uvm.cognition.memory.text import parse_time
    out, seen = [], set()
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise MemoryInputError(f"cannot read {path}: {e.strerror}") from None
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise MemoryInputError(f"{where}: not JSON ({e.msg}, column {e.colno})") from None
            if not isinstance(rec, dict):
                raise MemoryInputError(f"{where}: each line must be a JSON object")
            unknown = sorted(set(rec) - set(FIELDS))
            if unknown:
                raise MemoryInputError(f"{where}: unknown field {unknown[0]!r} (the fields are "
                                       f"{', '.join(FIELDS)})")
            for key in ("id", "text"):
                if key not in rec:
                    raise MemoryInputError(f"{where}: the field {key!r} is missing")
            if not isinstance(rec["text"], str) or not rec["text"].strip():
                raise MemoryInputError(f"{where}: 'text' must be a non-empty string")
            if not isinstance(rec["id"], (str, int)) or isinstance(rec["id"], bool):
                raise MemoryInputError(f"{where}: 'id' must be a string or a number")
            rec["id"] = str(rec["id"])
            if rec["id"] in seen:
                raise MemoryInputError(f"{where}: the id {rec['id']!r} appears twice")
            seen.add(rec["id"])
            if rec.get("time") is not None:
                try:
                    parse_time(rec["time"])
                except ValueError as e:
                    raise MemoryInputError(f"{where}: {e}") from None
            imp = rec.get("importance")
            if imp is not None and (not isinstance(imp, (int, float)) or not 0 <= imp <= 1):
                raise MemoryInputError(f"{where}: 'importance' must be a number from 0 to 1")
            for key in ("session", "speaker", "subject"):
                if rec.get(key) is not None and not isinstance(rec[key], (str, int)):
                    raise MemoryInputError(f"{where}: {key!r} must be a string")
            out.append(rec)
    return out


def ingest(image, records: list[dict], chunk: int = 2000, progress=None) -> int:
    """Remember ``records`` (from ``read_jsonl``) in the caller's transaction, in chunks
    (a savepoint after each, so a long ingest does not hold every new object in RAM)."""
    store = _store(image)
    clash = next((r["id"] for r in records if store.ids.get(r["id"]) is not None), None)
    if clash is not None:
        raise MemoryInputError(f"there is already a memory with the id {clash!r}")
    tm = image.tm if hasattr(image, "tm") else None
    done = 0
    for start in range(0, len(records), chunk):
        part = records[start:start + chunk]
        remember_many(store, part)
        done += len(part)
        if progress is not None:
            progress(done, len(records))
        if tm is not None:
            tm.savepoint(optimistic=True)
    index.persist_ann(store)
    return done


# --- recalling, curating ----------------------------------------------------------------------

def recall(image_or_store, question: str, k: int = 5, **options) -> list[Recalled]:
    """The ``k`` memories that answer ``question`` best, with their scores (see
    ``uvm.cognition.memory.recall``)."""
    try:
        return _recall(_store(image_or_store), question, k, **options)
    except (ValueError, KeyError) as e:
        raise MemoryInputError(f"recall: {e}") from None


def curate(image_or_store, target: int | None = None, summarize=None) -> curator.Curation:
    store = _store(image_or_store)
    report = curator.curate(store, target, summarize)
    index.persist_ann(store)
    return report


def rehydrate(image_or_store, summary: Memory) -> list[Memory]:
    try:
        return curator.rehydrate(_store(image_or_store), summary)
    except ValueError as e:
        raise MemoryInputError(str(e)) from None


def stats(image_or_store) -> dict:
    from uvm.cognition.memory.archive import archived_bytes
    store = _store(image_or_store)
    summaries = sum(1 for m in store.live.values() if m.is_summary) if store.live_count <= 200000 else None
    kind = "hnswlib (approximate)" if store.live_count >= store.setting("annThreshold") else "exact (numpy)"
    return {"live": store.live_count, "summaries": summaries, "archived": store.archived_count,
            "archive_runs": len(store.archives), "archive_bytes": archived_bytes(store),
            "vector_bytes": store.live_count * vectors.SIZE, "index": kind,
            "live_bound": store.setting("liveBound"), "ids": len(store.ids)}


def _store(image_or_store) -> MemoryStore:
    if isinstance(image_or_store, MemoryStore):
        return image_or_store
    if isinstance(image_or_store, UvmObject):
        return store_of(image_or_store)
    return store_for(image_or_store)
