"""The search index: derived from the live memories, kept in the process, never stored
(except the ANN graph, a BLOB rebuilt when missing).

Two segments. ``main`` holds memories known to be committed: their vectors in a float32
matrix (exact search with numpy; past ``annThreshold`` an hnswlib graph) and their terms
in a bm25s index. ``recent`` holds every live memory newer than the newest of ``main``,
committed or not, with vectors and a small inverted index scored by the same BM25
formula; it is made again whenever the store changed. ``main`` is rebuilt from both
(without reading the memory objects again) once the store is clean and ``recent`` has
grown past a share of it, or too many of ``main``'s entries left the live set.

Why this shape: an evaluation that remembers and then recalls must find what it just
remembered, an aborted one must leave nothing in the index, and another process's
commits (ZEO) must show up -- all without rebuilding 20,000 entries for every memory. A
serial number identifies a committed memory forever, so ``main`` can be kept across
transactions; anything newer is read from the store's current state each time.
"""
from __future__ import annotations

import hashlib
import math
import weakref
from collections import Counter

import numpy as np

from uvm.cognition.memory import text as txt
from uvm.cognition.memory import vectors as vec
from uvm.cognition.memory.store import Memory, MemoryStore

K1, B = 1.5, 0.75          # BM25 (the Lucene variant bm25s uses by default)
REBUILD_SHARE = 0.25       # recent/main, or dead/main, past which main is rebuilt
REBUILD_MIN = 2000
_Z64 = b"\0" * 8


def search_text(memory: Memory) -> str:
    """What BM25 reads of a memory: its text, and a summary's members' key words."""
    extra = memory.hidden("_keywords", "") if memory.is_summary else ""
    return memory._slots["text"] + (" " + extra if extra else "")


class Entries:
    """Parallel arrays over some memories: serials, vectors, times, terms."""

    def __init__(self, serials, vectors, epochs, terms: list[list[str]]):
        self.serials = np.asarray(serials, dtype=np.int64)
        self.vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, vec.DIMENSIONS)
        self.epochs = np.asarray(epochs, dtype=np.float64)
        self.terms = terms

    @classmethod
    def of(cls, memories: list[Memory]) -> "Entries":
        return cls([m.serial for m in memories], vec.unpack([m.vector for m in memories]),
                   [m.epoch for m in memories], txt.terms_of_many([search_text(m) for m in memories]))

    def __len__(self) -> int:
        return len(self.serials)

    def take(self, mask) -> "Entries":
        idx = np.flatnonzero(mask)
        return Entries(self.serials[idx], self.vectors[idx], self.epochs[idx],
                       [self.terms[i] for i in idx])

    @staticmethod
    def join(a: "Entries", b: "Entries") -> "Entries":
        return Entries(np.concatenate([a.serials, b.serials]), np.vstack([a.vectors, b.vectors]),
                       np.concatenate([a.epochs, b.epochs]), a.terms + b.terms)


class Postings:
    """A small inverted index scored with the BM25 formula, for ``recent``."""

    def __init__(self, terms: list[list[str]]):
        self.lengths = np.array([len(t) for t in terms], dtype=np.float32)
        self.postings: dict[str, list[tuple[int, int]]] = {}
        for i, doc in enumerate(terms):
            for term, tf in Counter(doc).items():
                self.postings.setdefault(term, []).append((i, tf))

    def scores(self, query: list[str], df, n_docs: int, avgdl: float) -> np.ndarray:
        out = np.zeros(len(self.lengths), dtype=np.float32)
        for term in set(query):
            plist = self.postings.get(term)
            if not plist:
                continue
            d = df(term) or len(plist)
            idf = math.log(1 + (n_docs - d + 0.5) / (d + 0.5))
            for i, tf in plist:
                norm = K1 * (1 - B + B * self.lengths[i] / avgdl)
                out[i] += idf * tf * (K1 + 1) / (tf + norm)
        return out


class Main:
    """The committed segment: a matrix, a bm25s index and document frequencies."""

    def __init__(self, entries: Entries):
        import bm25s
        self.entries = entries
        self.df = Counter(t for doc in entries.terms for t in set(doc))
        self.avgdl = max(1.0, float(np.mean([len(t) for t in entries.terms]))) if len(entries) else 1.0
        self.bm25 = None
        if len(entries):
            self.bm25 = bm25s.BM25(k1=K1, b=B)
            self.bm25.index(entries.terms, show_progress=False)
        self.ann = None
        self.max_serial = int(entries.serials.max()) if len(entries) else 0

    def signature(self) -> str:
        return hashlib.sha256(self.entries.serials.tobytes()).hexdigest()

    def lexical(self, query: list[str]) -> np.ndarray:
        if self.bm25 is None or not query:
            return np.zeros(len(self.entries), dtype=np.float32)
        return self.bm25.get_scores(query).astype(np.float32)


class SearchIndex:
    """The process's index over one store (see the module's docstring)."""

    def __init__(self):
        self.main = Main(Entries([], [], [], []))
        self.alive = np.ones(0, dtype=bool)
        self.alive_key = None
        self.recent = Entries([], [], [], [])
        self.recent_postings = Postings([])
        self.recent_key = None
        self._entries: "weakref.WeakKeyDictionary[Memory, tuple]" = weakref.WeakKeyDictionary()

    # --- keeping up with the store ---------------------------------------------------------------
    def sync(self, store: MemoryStore) -> None:
        self._follow(store)
        if not self._agrees(store):
            # the store went back to an older state (an undo, here or by another client):
            # serials this index took for committed are gone or back, so start again
            cache = self._entries
            self.__init__()
            self._entries = cache  # (a memory's vector and terms never change)
            self._follow(store)

    def _agrees(self, store: MemoryStore) -> bool:
        main = self.main.entries.serials[self.alive]
        count = len(main) + len(self.recent)
        total = int(main.sum()) + int(self.recent.serials.sum())
        return count == store.live_count and total == store.serial_sum

    def _follow(self, store: MemoryStore) -> None:
        store._p_activate()  # a ghost's _p_changed and _p_serial say nothing yet
        clean = (store._p_jar is not None and not store._p_changed
                 and store._p_serial != _Z64)
        key = (store.token, store._p_serial, self.main.max_serial)
        if key != self.recent_key:
            newer = list(store.live.values(self.main.max_serial + 1))
            self.recent = self._entries_of(newer)
            self.recent_postings = Postings(self.recent.terms)
            self.recent_key = key
        removal_key = (store.removals, store.removed_token, self.main.max_serial)
        if removal_key != self.alive_key:
            if store.removals == 0:
                self.alive = np.ones(len(self.main.entries), dtype=bool)
            else:
                live = np.fromiter(store.live.keys(0, self.main.max_serial), dtype=np.int64)
                self.alive = np.isin(self.main.entries.serials, live)
            self.alive_key = removal_key
        if clean:
            size = len(self.main.entries)
            dead = size - int(self.alive.sum())
            threshold = max(REBUILD_MIN, REBUILD_SHARE * size)
            if (len(self.recent) and (len(self.recent) > threshold or size == 0)) or dead > threshold:
                self._rebuild(store)
        self._ann(store)

    def _entries_of(self, memories: list[Memory]) -> Entries:
        cached, todo = [], []
        for m in memories:
            e = self._entries.get(m)
            (cached if e is not None else todo).append(m)
        if todo:
            fresh = Entries.of(todo)
            for i, m in enumerate(todo):
                self._entries[m] = (fresh.serials[i], fresh.vectors[i], fresh.epochs[i], fresh.terms[i])
        rows = [self._entries[m] for m in memories]
        return Entries([r[0] for r in rows], [r[1] for r in rows] or np.zeros((0, vec.DIMENSIONS)),
                       [r[2] for r in rows], [r[3] for r in rows])

    def _rebuild(self, store: MemoryStore) -> None:
        kept = self.main.entries.take(self.alive)
        self.main = Main(Entries.join(kept, self.recent))
        self.alive = np.ones(len(self.main.entries), dtype=bool)
        self.alive_key = (store.removals, store.removed_token, self.main.max_serial)
        self.recent = Entries([], [], [], [])
        self.recent_postings = Postings([])
        self.recent_key = (store.token, store._p_serial, self.main.max_serial)
        self._entries = weakref.WeakKeyDictionary()

    # --- the ANN graph ----------------------------------------------------------------------------
    def _ann(self, store: MemoryStore) -> None:
        """Past ``annThreshold`` entries, vector search in ``main`` goes through hnswlib: the
        graph is read from the store's BLOB when it was made for exactly these entries,
        else built here (``persist_ann`` stores it)."""
        main = self.main
        if main.ann is not None or len(main.entries) < store.setting("annThreshold"):
            return
        main.ann = load_ann(store, main) or build_ann(main.entries.vectors)

    # --- searching --------------------------------------------------------------------------------
    def size(self) -> int:
        return int(self.alive.sum()) + len(self.recent)

    def vector_top(self, query: np.ndarray, n: int) -> list[tuple[int, float]]:
        """(serial, cosine) of the ``n`` nearest live memories."""
        out = []
        main = self.main
        if len(main.entries):
            if main.ann is not None:
                k = min(len(main.entries), n + int((~self.alive).sum()) + 8)
                main.ann.set_ef(max(64, k))
                labels, dist = main.ann.knn_query(query[None, :], k=k)
                for i, d in zip(labels[0], dist[0]):
                    if self.alive[i]:
                        out.append((int(main.entries.serials[i]), float(1 - d)))
            else:
                with one_blas_thread():
                    sims = main.entries.vectors @ query
                sims[~self.alive] = -2.0
                top = _top(sims, n)
                out += [(int(main.entries.serials[i]), float(sims[i])) for i in top if sims[i] > -2]
        if len(self.recent):
            with one_blas_thread():
                sims = self.recent.vectors @ query
            out += [(int(self.recent.serials[i]), float(sims[i])) for i in _top(sims, n)]
        out.sort(key=lambda p: -p[1])
        return out[:n]

    def lexical_top(self, query: list[str], n: int) -> list[tuple[int, float]]:
        """(serial, BM25 score) of the ``n`` best lexical matches (score > 0)."""
        out = []
        main = self.main
        if len(main.entries) and query:
            scores = main.lexical(query)
            scores[~self.alive] = 0.0
            out += [(int(main.entries.serials[i]), float(scores[i]))
                    for i in _top(scores, n) if scores[i] > 0]
        if len(self.recent) and query:
            scores = self.recent_scores(query)
            out += [(int(self.recent.serials[i]), float(scores[i]))
                    for i in _top(scores, n) if scores[i] > 0]
        out.sort(key=lambda p: -p[1])
        return out[:n]

    def recent_scores(self, query: list[str]) -> np.ndarray:
        n_docs, avgdl = self.stats()
        return self.recent_postings.scores(query, self.df, n_docs, avgdl)

    def stats(self) -> tuple[int, float]:
        n = len(self.main.entries) + len(self.recent)
        return max(n, 1), self.main.avgdl

    def df(self, term: str) -> int:
        return self.main.df.get(term, 0) + len(self.recent_postings.postings.get(term, ()))

    def lexical_of(self, query: list[str], docs: list[Counter]) -> np.ndarray:
        """BM25 scores of some documents (term counts: candidates, archived members) on
        this index's statistics."""
        n_docs, avgdl = self.stats()
        weights = {}
        for term in set(query):
            d = self.df(term)
            if d:
                weights[term] = math.log(1 + (n_docs - d + 0.5) / (d + 0.5))
        out = np.zeros(len(docs), dtype=np.float32)
        if not weights:
            return out
        for i, counts in enumerate(docs):
            total = 0.0
            length = sum(counts.values())
            norm = K1 * (1 - B + B * length / avgdl)
            for term, idf in weights.items():
                tf = counts.get(term)
                if tf:
                    total += idf * tf * (K1 + 1) / (tf + norm)
            out[i] = total
        return out


_blas = None


def one_blas_thread():
    """A matrix-vector product is bound by memory, not arithmetic: more BLAS threads only
    wait for each other (on a busy machine, several times slower), so searches use one."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController
        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


def _top(scores: np.ndarray, n: int) -> np.ndarray:
    if len(scores) <= n:
        return np.argsort(-scores)
    part = np.argpartition(-scores, n)[:n]
    return part[np.argsort(-scores[part])]


# --- ANN -------------------------------------------------------------------------------------------

def build_ann(vectors: np.ndarray):
    import hnswlib
    index = hnswlib.Index(space="ip", dim=vec.DIMENSIONS)
    index.init_index(max_elements=max(1, len(vectors)), ef_construction=100, M=16)
    index.add_items(vectors, np.arange(len(vectors)))
    return index


def load_ann(store: MemoryStore, main: Main):
    """The stored graph, if it was made for ``main``'s entries (else None)."""
    ann = store.ann
    if ann is None or ann.get("signature") != main.signature():
        return None
    import hnswlib
    import tempfile
    with ann["blob"].open("r") as f, tempfile.NamedTemporaryFile(suffix=".hnsw") as tmp:
        tmp.write(f.read())
        tmp.flush()
        index = hnswlib.Index(space="ip", dim=vec.DIMENSIONS)
        index.load_index(tmp.name, max_elements=len(main.entries))
    return index


def persist_ann(store: MemoryStore) -> bool:
    """Store an ANN graph over the live memories as a BLOB (in the caller's transaction)
    when there are at least ``annThreshold`` of them and the stored graph is not for
    exactly these. It is made for the entries in the order the next rebuild of ``main``
    puts them (main's live ones, then the recent ones), so that rebuild finds it."""
    ix = index_for(store)
    entries = Entries.join(ix.main.entries.take(ix.alive), ix.recent)
    if len(entries) < store.setting("annThreshold"):
        return False
    signature = hashlib.sha256(entries.serials.tobytes()).hexdigest()
    if store.ann is not None and store.ann.get("signature") == signature:
        return False
    import tempfile
    from persistent.mapping import PersistentMapping
    from ZODB.blob import Blob
    graph = ix.main.ann if ix.main.signature() == signature and ix.main.ann is not None \
        else build_ann(entries.vectors)
    with tempfile.NamedTemporaryFile(suffix=".hnsw") as tmp:
        graph.save_index(tmp.name)
        with open(tmp.name, "rb") as f:
            data = f.read()
    blob = Blob()
    with blob.open("w") as f:
        f.write(data)
    store.ann = PersistentMapping({"blob": blob, "signature": signature, "entries": len(entries)})
    return True


# --- the process's indexes ------------------------------------------------------------------------

_indexes: "weakref.WeakKeyDictionary[MemoryStore, SearchIndex]" = weakref.WeakKeyDictionary()


def index_for(store: MemoryStore) -> SearchIndex:
    """The index of ``store``, brought up to its current state."""
    ix = _indexes.get(store)
    if ix is None:
        ix = _indexes[store] = SearchIndex()
    ix.sync(store)
    return ix


def forget(store: MemoryStore) -> None:
    _indexes.pop(store, None)

