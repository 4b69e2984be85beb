"""The method library: worked examples the synthesis prompt borrows from.

A small model writes a method best when the prompt shows it a few methods like the one it
must write. The library holds such methods: the seed examples shipped with UVM
(``library/seed.jsonl``: small methods on numbers, strings, lists and objects' own slots,
none of them a benchmark task) and every method the model has written into this image
(indexed in ``root['uvm.library']`` when its transaction commits, so undo removes the entry
with the method). ``similar(...)`` ranks them by selector and intent words, receiver kind
and arity.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "library", "seed.jsonl")
ROOT_KEY = "uvm.library"

_STOP = {"the", "a", "an", "of", "to", "and", "or", "is", "it", "its", "in", "by", "with",
         "answer", "answers", "receiver", "self", "that", "this", "be", "as", "at", "for", "on",
         "given", "number", "numbers", "new", "value", "whether"}


@dataclass(frozen=True)
class Example:
    """One method and what asked for it: the receiver's kind (integer, string, object...),
    its description, the arguments' descriptions, the object's slots, the intent."""
    selector: str
    kind: str
    receiver: str
    args: tuple = ()                  # (shown value, type name) pairs
    slots: tuple = ()                 # (name, shown value) pairs
    intent: str = ""
    source: str = ""
    words: frozenset = field(default=frozenset(), compare=False)
    understands: tuple = ()           # messages it may send to self (``self.area``)


def words_of(*texts: str) -> frozenset:
    """Lower-case content words of selectors and prose (``isPrime:`` -> is, prime)."""
    out = set()
    for text in texts:
        for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", text or ""):
            w = w.lower()
            if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
                w = w[:-1]
            if w not in _STOP:
                out.add(w)
    return frozenset(out)


def make(selector, kind, receiver, args=(), slots=(), intent="", source="",
         understands=()) -> Example:
    return Example(selector, kind, receiver, tuple(args), tuple(slots), intent or "", source,
                   words_of(selector, intent or ""), tuple(understands))


def seed_rows() -> list[dict]:
    """``library/seed.jsonl``: per line a selector, the receiver (a JSON value, or null for
    an object with ``slots`` and UVM ``methods``), the arguments (JSON values), what the
    object ``understands`` (as a Python method sends it), the intent, the source, and an
    ``example`` (a UVM expression, with the object as ``it``, and the value it gives)."""
    with open(SEED, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@lru_cache(maxsize=1)
def seed() -> tuple[Example, ...]:
    from uvm.llm.synthesis.receiver import describe_value, type_name
    out = []
    for d in seed_rows():
        recv = d.get("receiver")
        obj = recv is None
        out.append(make(d["selector"], "object" if obj else type_name(recv),
                        "an object" if obj else describe_value(recv),
                        [(describe_value(a), type_name(a)) for a in d.get("args", [])],
                        [(n, describe_value(v)) for n, v in (d.get("slots") or {}).items()],
                        d.get("intent", ""), d["source"], d.get("understands", ())))
    return tuple(out)


def score(query: Example, ex: Example) -> float:
    """Cosine-like overlap of words, plus a little for the same receiver kind and arity."""
    common = len(query.words & ex.words)
    s = common / math.sqrt(max(1, len(query.words)) * max(1, len(ex.words)))
    if ex.kind == query.kind:
        s += 0.3
    if len(ex.args) == len(query.args):
        s += 0.15
    if {t for _, t in ex.args} == {t for _, t in query.args}:
        s += 0.1
    if bool(ex.slots) == bool(query.slots):
        s += 0.15
    return s


def similar(query: Example, candidates, n: int = 3) -> list[Example]:
    """The ``n`` best examples, least similar first (small models copy the nearest, so the
    best one goes last, next to the question). Among equals the shortest wins: with no
    intent to match, a plain one-line method is the safest pattern to copy."""
    ranked = sorted((ex for ex in candidates if ex.selector != query.selector
                     or ex.source.strip() != query.source.strip()),
                    key=lambda ex: (-score(query, ex), len(ex.source)))[:n]
    return list(reversed(ranked))


# --- the image's own methods ----------------------------------------------------------------------

def index(image):
    """``root['uvm.library']``: an OOBTree of (selector, holder oid) -> example data, made on
    first use inside the current transaction."""
    root = image.connection.root()
    tree = root.get(ROOT_KEY)
    if tree is None:
        from BTrees.OOBTree import OOBTree
        tree = root[ROOT_KEY] = OOBTree()
    return tree


def remember(image, holder, example: Example) -> None:
    """Index a method the model wrote into ``holder`` (in the transaction that installs it)."""
    index(image)[(example.selector, example.kind, example.receiver)] = {
        "holder": holder, "kind": example.kind, "receiver": example.receiver,
        "args": list(example.args), "slots": list(example.slots), "intent": example.intent,
        "understands": list(example.understands)}


def image_examples(image) -> list[Example]:
    """The indexed methods still in place (a removed or replaced method is skipped)."""
    from uvm.runtime.objects import Method
    tree = image.connection.root().get(ROOT_KEY)
    if not tree:
        return []
    out = []
    for (selector, _, _), d in tree.items():
        method = d["holder"]._slots.get(selector) if hasattr(d["holder"], "_slots") else None
        if not isinstance(method, Method) or method.language != "python":
            continue
        out.append(make(selector, d["kind"], d["receiver"], d["args"], d["slots"], d["intent"],
                        method.source, d.get("understands", ())))
    return out
