"""Memories in the doesNotUnderstand brief: the few most relevant to the selector and the
intent, told to the model as notes (the hook is ``uvm.llm.synthesis.prompt``'s context
providers; this layer registers itself there, uvm.llm never imports it)."""
from __future__ import annotations

import re

SHOWN = 3
MIN_SIMILARITY = 0.35  # cosine below which a memory is not about the send at all


def selector_words(selector: str) -> str:
    """``percent:Of:`` -> 'percent of'; ``asTitleCase`` -> 'as title case'."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", selector.replace(":", " "))
    return " ".join(spaced.lower().split())


def memories_for(brief) -> list[str]:
    """Lines for the brief: memories about what the send asks for (none when the image
    has no memories, or none is close enough)."""
    from uvm.runtime import send
    if send.world is None:
        return []
    memory = send.world.lobby._slots["globals"]._slots.get("memory")
    if memory is None or not _has_store(memory):
        return []
    from uvm.cognition.memory.recall import recall
    from uvm.cognition.memory.store import store_of
    store = store_of(memory)
    if store.live_count == 0:
        return []
    query = " ".join(p for p in (selector_words(brief.selector), brief.intent() or "") if p)
    hits = [r for r in recall(store, query, SHOWN, touch=False)
            if r.parts.get("vectorRaw", 0.0) >= MIN_SIMILARITY]
    if not hits:
        return []
    return ["Notes from memory that may help:"] + [f"- {r.text}" for r in hits]


def _has_store(memory) -> bool:
    from uvm.runtime.objects import instance_dict
    memory._p_activate()
    return "_store" in instance_dict(memory)


def register() -> None:
    from uvm.llm.synthesis.prompt import register_context_provider
    register_context_provider(memories_for)
