"""Hybrid recall: which memories answer a question best.

One line, Generative Agents style: a memory's score is
``vector*relevance + lexical*bm25 + recency*decay + importance*importance + time*in_period
+ speaker*named`` (each term normalised over the candidates to 0..1; ``in_period``: the
memory's time is in the period the question names, "in May 2023"; ``named``: the
question names the memory's speaker), plus ``graph`` times the best score
of a top hit it is linked to times its own relevance (the larger of its two normalised
similarities: a link counts as far as the linked memory bears on the question). Then two rules: a summary among the best hits is opened and
its archived members compete in its place (rehydration), and a newer memory about the
same subject as an older one (the same ``subject``, or the same speaker saying nearly
the same thing) ranks above it -- an update outranks what it updates.

Candidates are the nearest memories by vector similarity, the best by BM25 (``index``),
and the memories said by or naming someone the question names; the graph adds the
neighbours of the best (``MemoryStore.neighbours``). The weights are settings of
the store, defaulting to ``recall-settings.json``, which ``benchmarks/memory.py --tune``
fitted on the benchmark's dev split.
"""
from __future__ import annotations

import functools
import json
import os
import time as _time
import weakref
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from uvm.cognition.memory import archive
from uvm.cognition.memory import text as txt
from uvm.cognition.memory import vectors as vec
from uvm.cognition.memory.index import index_for
from uvm.cognition.memory.store import Memory, MemoryStore, make_memory, speakers_of

MODES = ("hybrid", "vector", "lexical")
SESSION_EDGE = 0.5  # the previous/next memory of a session is a weaker link than a name
DAY = 86400.0


@functools.lru_cache(maxsize=1)
def _file_weights() -> dict:
    with open(os.path.join(os.path.dirname(__file__), "recall-settings.json"), encoding="utf-8") as f:
        return json.load(f)["weights"]


def default_weights() -> dict:
    return dict(_file_weights())


def weights_of(store: MemoryStore, overrides: dict | None = None) -> dict:
    w = default_weights()
    w.update({k: v for k, v in store.settings.items() if k in w})
    if overrides:
        unknown = set(overrides) - set(w)
        if unknown:
            raise KeyError(f"unknown recall weight(s): {', '.join(sorted(unknown))}")
        w.update(overrides)
    return w


@dataclass
class Recalled:
    """One memory recalled: the memory (live, or read back from the archive when
    ``via`` is the summary it was found through), its score and the score's parts."""
    memory: Memory
    score: float
    parts: dict = field(default_factory=dict)
    via: Memory | None = None

    @property
    def id(self) -> str:
        return self.memory._slots["id"]

    @property
    def text(self) -> str:
        return self.memory._slots["text"]


class _Candidate:
    __slots__ = ("memory", "vector", "last", "importance", "base", "graph", "score",
                 "parts", "via", "depth", "relevance")

    def __init__(self, memory: Memory, vector, via=None, depth=0):
        self.memory, self.vector, self.via, self.depth = memory, vector, via, depth
        last = memory.epoch
        access = memory._slots.get("lastAccess")
        if access:
            try:
                last = max(last, txt.parse_time(access))
            except ValueError:
                pass
        self.last = last
        imp = memory._slots.get("importance")
        self.importance = float(imp) if isinstance(imp, (int, float)) else 0.5
        self.base = self.graph = self.score = self.relevance = 0.0
        self.parts: dict = {}


def recall(store: MemoryStore, question: str, k: int = 5, *, mode: str = "hybrid",
           weights: dict | None = None, touch: bool = True, query_vector=None) -> list[Recalled]:
    """The ``k`` memories that answer ``question`` best, best first (see the module's
    docstring). ``mode`` 'vector' or 'lexical' ranks by that one signal alone (the
    benchmark's baselines). ``touch`` counts the access on each live memory returned
    (``accessCount``, ``lastAccess``: what recency and the curator read)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("recall needs a question (a non-empty string)")
    if not isinstance(k, int) or k < 1:
        raise ValueError("the limit must be a positive integer")
    if store.live_count == 0:
        return []
    w = weights_of(store, weights)
    if query_vector is None:
        from uvm.llm.embedding import embedder
        query_vector = embedder().embed([question])[0]
    q = np.asarray(query_vector, dtype=np.float32)
    qterms = txt.terms(question)
    ix = index_for(store)
    n = max(int(w["candidates"]), 2 * k)

    if mode == "vector":
        hits = ix.vector_top(q, k)
        return _finish(store, [(store.live[s], score, {"vector": score}) for s, score in hits], touch)
    if mode == "lexical":
        hits = ix.lexical_top(qterms, k)
        return _finish(store, [(store.live[s], score, {"lexical": score}) for s, score in hits], touch)

    pool: dict = {}  # serial (live) or ('archived', serial) -> candidate
    for s, _ in ix.vector_top(q, n) + ix.lexical_top(qterms, n):
        if s not in pool:
            pool[s] = _Candidate(store.live[s], None)
    named = set(txt.names(question))
    opened: set[int] = set()
    for name in named:  # the graph, from the question: who and what it names
        for s in store.named(name, int(w["namedCandidates"])):
            if s not in pool:
                m = store.live[s]
                if m.is_summary:  # the named one's archived memories, through the summaries
                    opened.add(s)
                    for view, v, via in _named_inside(store, m, named, m, 0):
                        pool.setdefault(("archived", view.serial), _Candidate(view, v, via=via, depth=1))
                else:
                    pool[s] = _Candidate(m, None)
    scorer = _Scorer(ix, q, qterms, question, store, w)
    scorer.features(list(pool.values()))
    scorer.normalise(list(pool.values()))
    for c in pool.values():
        scorer.base(c)

    # the graph: neighbours of the best hits
    seeds = sorted(pool.values(), key=lambda c: -c.base)[:int(w["seeds"])]
    added = []
    links: list[tuple[_Candidate, float]] = []
    for seed in seeds:
        for nb, why in store.neighbours(seed.memory):
            c = pool.get(nb.serial)
            if c is None:
                c = pool[nb.serial] = _Candidate(nb, None)
                added.append(c)
            links.append((c, seed.base * (SESSION_EDGE if "session" in why else 1.0)))
    if added:
        scorer.features(added)
        for c in added:
            scorer.base(c)
    for c, strength in links:  # a link counts as far as the linked memory is relevant itself
        c.graph = max(c.graph, strength * c.relevance)

    # rehydration: the best summaries are opened, their members compete in their place
    for _round in range(4):
        ranked = _ranked(pool.values(), w)
        todo = [c for c in ranked[:int(w["openSummaries"]) + k]
                if c.memory.is_summary and c.memory.serial not in opened][:int(w["openSummaries"])]
        if not todo:
            break
        for summary in todo:
            opened.add(summary.memory.serial)
            members = [_Candidate(m, v, via=summary.via or summary.memory, depth=summary.depth + 1)
                       for m, v in _members_of(store, summary.memory)]
            scorer.features(members)
            for c in members:
                scorer.base(c)
                c.graph = max(c.graph, summary.base * c.relevance)
                pool.setdefault(("archived", c.memory.serial), c)
    final = [c for c in _ranked(pool.values(), w) if c.memory.serial not in opened]
    _updates_first(final, w)
    final.sort(key=lambda c: -c.score)
    return _finish(store, [(c.memory, c.score, c.parts, c.via) for c in final[:k]], touch)


def _ranked(cands, w) -> list[_Candidate]:
    out = []
    for c in cands:
        c.score = c.base + w["graph"] * c.graph
        c.parts["graph"] = c.graph
        out.append(c)
    out.sort(key=lambda c: -c.score)
    return out


class _Scorer:
    """The features of candidates and the normalisation shared by all of them."""

    def __init__(self, ix, q, qterms, question, store, w):
        self.ix, self.q, self.qterms, self.w, self.store = ix, q, qterms, w, store
        self.period = txt.period(question)
        self.named = set(txt.names(question))
        self.now = store.latest
        self.half_life = float(w["recencyHalfLifeDays"]) * DAY
        self.vrange = (0.0, 1.0)
        self.lmax = 1.0

    def features(self, cands: list[_Candidate]) -> None:
        if not cands:
            return
        need = [c for c in cands if c.vector is None]
        if need:
            vs = vec.unpack([c.memory.vector for c in need])
            for c, v in zip(need, vs):
                c.vector = v
        counts = [_counts(c.memory) for c in cands]
        lex = self.ix.lexical_of(self.qterms, counts)
        sims = np.stack([c.vector for c in cands]) @ self.q
        for c, l, s in zip(cands, lex, sims):
            c.parts["vectorRaw"] = float(s)
            c.parts["lexicalRaw"] = float(l)

    def normalise(self, cands: list[_Candidate]) -> None:
        sims = [c.parts["vectorRaw"] for c in cands]
        lex = [c.parts["lexicalRaw"] for c in cands]
        self.vrange = (min(sims), max(sims)) if sims else (0.0, 1.0)
        self.lmax = max(lex) if lex and max(lex) > 0 else 1.0

    def base(self, c: _Candidate) -> None:
        lo, hi = self.vrange
        v = (c.parts["vectorRaw"] - lo) / (hi - lo) if hi > lo else 1.0
        v = min(1.0, max(0.0, v))
        lx = min(1.0, c.parts["lexicalRaw"] / self.lmax)
        age = max(0.0, self.now - c.last)
        rec = 0.5 ** (age / self.half_life) if self.half_life > 0 else 0.0
        t = 0.0
        if self.period is not None:
            t = 1.0 if self.period[0] <= c.memory.epoch < self.period[1] else 0.0
        c.relevance = max(v, lx)
        said = 1.0 if any(sp.lower() in self.named for sp in speakers_of(c.memory)) else 0.0
        if said and c.memory.is_summary:
            said = 0.5  # someone named is among the many it stands for
        w = self.w
        c.base = (w["vector"] * v + w["lexical"] * lx + w["recency"] * rec
                  + w["importance"] * c.importance + w["time"] * t + w["speaker"] * said)
        c.parts.update(vector=v, lexical=lx, recency=rec, importance=c.importance, time=t,
                       speaker=said)


_term_counts: "weakref.WeakKeyDictionary[Memory, Counter]" = weakref.WeakKeyDictionary()


def _counts(memory: Memory) -> Counter:
    """A memory's BM25 term counts (kept while the memory object lives)."""
    c = _term_counts.get(memory)
    if c is None:
        from uvm.cognition.memory.index import search_text
        c = _term_counts[memory] = Counter(txt.terms(search_text(memory)))
    return c


def _updates_first(cands: list[_Candidate], w) -> None:
    """A newer memory about the same subject as an older one scores above it: the same
    ``subject`` slot, or the same speaker saying nearly the same thing (cosine at least
    ``updateSimilarity``)."""
    if len(cands) < 2:
        return
    top = cands[:int(w["updateWindow"])]
    vs = np.stack([c.vector for c in top])
    sims = vs @ vs.T
    tau = float(w["updateSimilarity"])
    epochs = [c.memory.epoch for c in top]
    slots = [c.memory._slots for c in top]
    order = sorted(range(len(top)), key=epochs.__getitem__)
    for _ in range(2):  # chains of updates settle in two passes
        for a_pos, i in enumerate(order):
            a, sa = top[i], slots[i]
            for j in order[a_pos + 1:]:
                b, sb = top[j], slots[j]
                if epochs[j] <= epochs[i] or b.score > a.score:
                    continue
                subject = sa.get("subject")
                if (subject is not None and subject == sb.get("subject")) \
                        or (sims[i, j] >= tau and sa.get("speaker") == sb.get("speaker")):
                    b.score = a.score + 1e-3
                    b.parts["updates"] = sa.get("id")


def _named_inside(store: MemoryStore, summary: Memory, named: set, via: Memory, depth: int):
    """(view, vector, via) for the archived memories under ``summary`` said by or naming
    someone in ``named``, descending only into the summaries that heard from them."""
    if depth > 12:
        return
    for view, v in _members_of(store, summary):
        if view.is_summary:
            if any(sp.lower() in named for sp in speakers_of(view)):
                yield from _named_inside(store, view, named, via, depth + 1)
        elif any(sp.lower() in named for sp in speakers_of(view)) \
                or named & set(view.hidden("_names", ())):
            yield view, v, via


def _members_of(store: MemoryStore, summary: Memory) -> list[tuple[Memory, np.ndarray]]:
    """A summary's archived members, read back as memory objects outside the store."""
    where = summary.hidden("_frame")
    if where is None:
        return []
    out = []
    records = archive.read_frame(store, where)
    vs = vec.unpack([r["vector"] for r in records])
    for rec, v in zip(records, vs):
        out.append((view_of(store, rec, summary), v))
    return out


def view_of(store: MemoryStore, rec: dict, holder: Memory | None = None) -> Memory:
    """An archived memory as an object (not in the store: recall answers it as found
    through its summary; ``rehydrate`` makes it live again)."""
    values = {name: rec.get(name) for name in
              ("id", "text", "time", "session", "speaker", "subject", "importance",
               "accessCount", "lastAccess", "kind")}
    m = make_memory(store.traits, rec["serial"], values, rec["vector"], rec["epoch"],
                    tuple(rec.get("names", ())), rec.get("previous"), (),
                    tuple(rec.get("related", ())))
    if values["kind"] == "summary":
        m._members = tuple(rec["members"])
        m._frame = tuple(rec["frame"])
        m._keywords = rec.get("keywords", "")
        m._speakers = tuple(rec.get("speakers", ()))
    if holder is not None:
        m._archived_in = holder.serial
    return m


def _finish(store, rows, touch: bool) -> list[Recalled]:
    out = []
    now = txt.iso(_time.time())
    for row in rows:
        memory, score, parts = row[0], row[1], row[2]
        via = row[3] if len(row) > 3 else None
        if touch:
            target = memory if via is None else via
            if store.live.get(target.serial) is target:
                target.accessCount = (target._slots.get("accessCount") or 0) + 1
                target.lastAccess = now
        out.append(Recalled(memory, round(float(score), 6),
                            {k: round(v, 4) if isinstance(v, float) else v for k, v in parts.items()}, via))
    return out
