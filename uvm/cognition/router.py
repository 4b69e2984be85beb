"""The router: which persona(s) should answer a query, on the CPU and without asking a
language model.

Semantic-router style: a route is a name and texts (here a persona's pillar intents and
its example utterances, ``Codex.route_texts``); a query is embedded once (all-MiniLM-L6-v2,
``uvm.llm.embedding``) and a route's score is the mean of its ``top_k`` best cosine
similarities to the query. The ranking is every persona, best first; the personas picked
are the best one and any other within ``margin`` of it whose score clears its own
threshold. ``top_k``, ``margin`` and the thresholds are fitted on labelled queries
(``fit``; ``evaluate`` measures a router on others): the settings shipped in
``router-settings.json`` were fitted by ``python benchmarks/router.py --fit`` on the dev
half of ``benchmarks/data/router_queries.jsonl``; an image may hold its own
(``save_settings``, for re-calibration).

The codex embeddings are cached in the image (``root['uvm.router']``, one entry per
codex digest, float32 bytes) and made again when a codex or the embedding model changes.
numpy, torch and the embedding model load on the first routing, never before.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from uvm.cognition.personas import Codex, codex_of, personas_of

ROOT_KEY = "uvm.router"
SETTINGS_KEY = "uvm.router.settings"
SETTINGS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "router-settings.json")
TOP_K_GRID = (1, 2, 3, 4, 5, 0)            # 0: the mean over all of a route's texts
MARGIN_GRID = (0.0, 0.01, 0.02, 0.03, 0.05, 0.08)
THRESHOLD_QUANTILES = (0.0, 0.1, 0.25, 0.5)


class RouterError(Exception):
    """The mind has nothing to route to."""


@dataclass
class Settings:
    top_k: int = 3                 # a route's score: the mean of its k best similarities
    margin: float = 0.0            # others this close to the best are picked too...
    thresholds: dict = field(default_factory=dict)  # ...if they clear their threshold
    default_threshold: float = 0.0  # for a persona the fit did not see
    fitted_on: str = ""

    def threshold(self, name: str) -> float:
        return float(self.thresholds.get(name, self.default_threshold))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "Settings":
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


def shipped_settings() -> Settings:
    try:
        with open(SETTINGS_FILE, encoding="utf-8") as f:
            return Settings.from_json(json.load(f))
    except OSError:
        return Settings()


def settings_for(image) -> Settings:
    """The image's own settings if it has been re-calibrated, else the shipped ones."""
    saved = image.connection.root().get(SETTINGS_KEY) if image is not None else None
    return Settings.from_json(dict(saved)) if saved else shipped_settings()


def save_settings(image, settings: Settings) -> None:
    """Keep re-fitted settings in the image (in the current transaction)."""
    image.connection.root()[SETTINGS_KEY] = settings.to_json()


# --- scoring ----------------------------------------------------------------------------------------

def route_score(similarities, top_k: int) -> float:
    """The mean of the ``top_k`` best similarities (all of them when ``top_k`` is 0)."""
    import numpy as np
    if len(similarities) == 0:
        return 0.0
    if top_k <= 0 or top_k >= len(similarities):
        return float(np.mean(similarities))
    return float(np.mean(np.partition(similarities, -top_k)[-top_k:]))


@dataclass
class Routing:
    """A ranked list of (persona, score), best first, and the personas picked."""
    ranking: list
    picked: list


class Router:
    """Routes (name -> an (n, 384) array of unit vectors) under settings."""

    def __init__(self, routes: dict, settings: Settings):
        if not routes:
            raise RouterError("the mind has no personas to route to")
        self.routes = routes
        self.settings = settings

    def rank_vector(self, query) -> list[tuple[str, float]]:
        scores = [(name, route_score(vectors @ query, self.settings.top_k))
                  for name, vectors in self.routes.items()]
        return sorted(scores, key=lambda x: -x[1])

    def rank(self, text: str) -> list[tuple[str, float]]:
        from uvm.llm.embedding import embedder
        return self.rank_vector(embedder().embed_one(text))

    def pick(self, ranking: list[tuple[str, float]]) -> list[str]:
        """The best, and the others within the margin that clear their threshold."""
        best_name, best = ranking[0]
        s = self.settings
        return [best_name] + [name for name, score in ranking[1:]
                              if best - score <= s.margin and score >= s.threshold(name)]


# --- the image's personas and the cached codex embeddings ----------------------------------------

def codex_vectors(image, codexes: list[Codex], save: bool = True) -> dict:
    """name -> the embeddings of that persona's route texts, from the image's cache when
    its digest and the embedding model still match; the missing ones are embedded (in one
    batch) and, with ``save``, stored in the current transaction."""
    import numpy as np

    from uvm.llm.embedding import DIMENSIONS, embedder, model_id
    root = image.connection.root()
    cache = root.get(ROOT_KEY)
    model = model_id()
    out, missing = {}, []
    for c in codexes:
        entry = cache.get(c.digest()) if cache is not None else None
        if entry is not None and entry.get("model") == model:
            out[c.name] = np.frombuffer(entry["vectors"], dtype=np.float32).reshape(-1, DIMENSIONS)
        else:
            missing.append(c)
    if missing:
        texts = [t for c in missing for t in c.route_texts()]
        vectors = embedder().embed(texts)
        at = 0
        for c in missing:
            n = len(c.route_texts())
            out[c.name] = vectors[at:at + n]
            at += n
        if save:
            _store(root, codexes, missing, out, model)
    return out


def _store(root, codexes, missing, vectors, model) -> None:
    from BTrees.OOBTree import OOBTree
    cache = root.get(ROOT_KEY)
    if cache is None:
        cache = root[ROOT_KEY] = OOBTree()
    for c in missing:
        cache[c.digest()] = {"name": c.name, "model": model, "count": len(vectors[c.name]),
                             "vectors": vectors[c.name].astype("float32").tobytes()}
    current = {c.digest() for c in codexes}
    for stale in [d for d in cache.keys() if d not in current]:
        del cache[stale]


def router_for(image, save: bool = True) -> tuple[Router, dict]:
    """The router over the image's personas, and name -> persona object."""
    persons = personas_of(image.lobby)
    if not persons:
        raise RouterError("the mind has no personas to route to (mind personas is empty)")
    codexes = [codex_of(p) for p in persons]
    routable = [c for c in codexes if c.route_texts()]
    if not routable:
        raise RouterError("no persona has pillars or utterances to route by")
    by_name = {c.name: p for c, p in zip(codexes, persons) if c.route_texts()}
    return Router(codex_vectors(image, routable, save), settings_for(image)), by_name


def route(image, text: str, save: bool = True) -> Routing:
    """``mind route:``: persona objects with their scores, and the ones picked."""
    router, by_name = router_for(image, save)
    ranking = router.rank(text)
    return Routing([(by_name[n], s) for n, s in ranking], [by_name[n] for n in router.pick(ranking)])


# --- fitting and measuring ------------------------------------------------------------------------

def picked_f1(picked: list[str], label: str) -> float:
    """F1 of one routing against its one right persona: 1 for exactly it, 2/(n+1) when it
    is among n picked, 0 when it is not picked."""
    if label not in picked:
        return 0.0
    precision = 1 / len(picked)
    return 2 * precision / (precision + 1)


def evaluate(router: Router, query_vectors, labels: list[str]) -> dict:
    """Top-1 accuracy, mean F1 of the picked sets and mean personas picked, by a router
    on queries with known right personas."""
    top1 = f1 = picked_n = 0
    for q, label in zip(query_vectors, labels):
        ranking = router.rank_vector(q)
        picked = router.pick(ranking)
        top1 += ranking[0][0] == label
        f1 += picked_f1(picked, label)
        picked_n += len(picked)
    n = max(1, len(labels))
    return {"top1": top1 / n, "f1": f1 / n, "picked": picked_n / n, "n": len(labels)}


def fit(routes: dict, query_vectors, labels: list[str], fitted_on: str = "") -> tuple[Settings, list[dict]]:
    """Settings fitted on labelled queries, and every configuration tried with its score.

    First ``top_k`` by top-1 accuracy (ties: the first in ``TOP_K_GRID``); then, for that
    k, the margin and the threshold quantile by the mean F1 of the picked sets. Among
    equally good ones the most inclusive wins (the larger margin, then the lower quantile):
    personas whose scores are close are asked together as long as that costs nothing on
    the labelled queries. A persona's threshold is that quantile of the scores it gets on
    its own queries."""
    import numpy as np
    tried = []
    best_k, best_acc = None, -1.0
    for k in TOP_K_GRID:
        result = evaluate(Router(routes, Settings(top_k=k)), query_vectors, labels)
        tried.append({"top_k": k, "margin": 0.0, "quantile": None, **result})
        if result["top1"] > best_acc:
            best_k, best_acc = k, result["top1"]
    own = {name: [] for name in routes}
    probe = Router(routes, Settings(top_k=best_k))
    for q, label in zip(query_vectors, labels):
        if label in own:
            own[label].append(dict(probe.rank_vector(q))[label])
    best, best_key = None, None
    for margin in MARGIN_GRID:
        for quantile in THRESHOLD_QUANTILES:
            thresholds = {n: round(float(np.quantile(v, quantile)), 4) for n, v in own.items() if v}
            settings = Settings(best_k, margin, thresholds,
                                round(float(np.mean(list(thresholds.values()))), 4) if thresholds else 0.0,
                                fitted_on)
            result = evaluate(Router(routes, settings), query_vectors, labels)
            tried.append({"top_k": best_k, "margin": margin, "quantile": quantile, **result})
            key = (round(result["f1"], 9), margin, -quantile)
            if best_key is None or key > best_key:
                best, best_key = settings, key
    return best, tried
