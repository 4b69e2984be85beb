"""O-RAG memory: memories as objects in the image, hybrid recall, and the Memory Curator.

- ``store``: memory objects and the store's tables (``memory`` in UVM holds one);
- ``vectors``: embeddings as 388 bytes each;
- ``text``: terms, names and periods read from text without a model;
- ``index``: the search index derived from the live memories (numpy, bm25s, hnswlib);
- ``recall``: hybrid scoring, the graph, rehydration and the update rule;
- ``curator`` and ``archive``: summaries, and the originals in compressed BLOBs;
- ``api``: the Python interface (``remember``, ``recall``, ``remember_thought``, ...);
- ``bridge``: what the prototypes in ``memory.uvm`` call; ``commands``: ``uvm memory``;
- ``briefing``: memories in the doesNotUnderstand brief.

Importing this package imports nothing (the bootstrap reads ``memory.uvm`` through it);
``from uvm.cognition.memory import recall`` reaches ``api``.
"""
from __future__ import annotations

_API = ("remember", "remember_many", "remember_thought", "recall", "curate", "rehydrate",
        "stats", "ingest", "read_jsonl", "store_for", "memory_object")


def __getattr__(name: str):
    if name in _API:
        from uvm.cognition.memory import api
        return getattr(api, name)
    raise AttributeError(name)
