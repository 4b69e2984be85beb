"""Where a thought meets memory (O-RAG, ``uvm.cognition.memory``): what it recalls in IDLE
(shown to the persona in DECOMPOSING and SYNTHESIZING) and what a completed thought leaves
behind (its question and its answer, as memories linked to the thought object), and
what the mind makes for itself (``remember``: a self-improvement mission's insight).

The memory package is looked up when a thought runs, not imported here: without it, or in
an image that has no ``memory`` object, ``recall`` answers nothing and ``remember_thought``
does nothing, and the thought goes on. A failure inside memory is not the thought's
failure to hide: it propagates, and the thought fails in the state that asked.
"""
from __future__ import annotations

import importlib
import importlib.util

RECALL_LIMIT = 3          # memories shown to the persona
RECALL_MIN_SCORE = 0.0    # memory's own scores rank; every one recalled is offered


def _memory():
    """The memory package's Python interface (``uvm.cognition.memory.api``: not the package's
    own ``recall``, which is also the name of a submodule), or None when this UVM has none."""
    if importlib.util.find_spec("uvm.cognition.memory") is None:
        return None
    api = importlib.import_module("uvm.cognition.memory.api")
    return api if hasattr(api, "recall") and hasattr(api, "remember_thought") else None


def _has_store(image) -> bool:
    globals_ = image.lobby._slots.get("globals")
    return globals_ is not None and "memory" in getattr(globals_, "_slots", {})


def recall(image, query: str, limit: int = RECALL_LIMIT) -> list[str]:
    """The texts of the memories that answer ``query`` best (none without memory)."""
    memory = _memory()
    if memory is None or not _has_store(image):
        return []
    found = memory.recall(image, query, k=limit)
    return [r.text for r in found if r.score >= RECALL_MIN_SCORE]


def remember_thought(image, thought, query: str, answer: str, persona) -> bool:
    """Keep the thought's question and answer as memories (in its transaction)."""
    memory = _memory()
    if memory is None or not _has_store(image):
        return False
    memory.remember_thought(image, thought, query, answer, persona=persona)
    return True


def remember(image, text: str, persona, subject: str):
    """Keep a text the mind made for itself (a mission's insight) as a memory linked to
    the persona that made it; its serial, or None without memory."""
    memory = _memory()
    if memory is None or not _has_store(image):
        return None
    from uvm.cognition.personas import codex_of
    return memory.remember(image, text, speaker=codex_of(persona).name, subject=subject,
                           persona=persona).serial
