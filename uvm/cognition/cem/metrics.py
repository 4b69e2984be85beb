"""The four components of the Composite Entropy Metric, each a number in [0, 1].

Plain functions of vectors (unit-length sentence embeddings, all-MiniLM-L6-v2), counts and
a thought's trace (the shape in ``uvm.cognition.thoughts``), so each can be checked on a
case whose value is known. The formulas:

- ``relevance``: H_rel = clip((cos(q, a) - REL_LOW) / (REL_HIGH - REL_LOW), 0, 1), the
  cosine of the query's and the answer's embeddings rescaled so that an answer given to
  another question scores about 0 and a written, on-topic answer about 1. REL_LOW and
  REL_HIGH are the mean cosines of the off-topic and the on-topic pairs of the gate's
  dev half (``python benchmarks/cem.py --calibrate``).
- ``cognitive_diversity``: H_cog = (H(personas)/log P + H(facets)/log F) / 2 over the
  window's thoughts: the Shannon entropy of how often each persona thought and how often
  each facet answered, each divided by its maximum (P personas, F facets in the mind; a
  term is 0 when there is only one to choose).
- ``solution_novelty``: H_sol = 1 - max cos(a, earlier answers), clipped to [0, 1]; 1 with
  nothing earlier. ``vendi`` is the alternative over a window (Friedman & Dieng's Vendi
  score of the cosine kernel, rescaled to [0, 1]); benchmarks/cem.py measures which of the
  two is steadier.
- ``structural_complexity``: H_struc = the mean of four shares of the trace: personas who
  thought / MAX_PERSONAS, distinct facets / FACET_SCALE, the sub-questions the model wrote
  (not the query handed on for want of one), and the degree entropy of the trace graph
  (query - persona - facet - persona's answer [- the mind's weave]) over log(its nodes).

``cem(components, weights)`` is the weighted mean.
"""
from __future__ import annotations

import math
from collections import Counter

COMPONENTS = ("rel", "cog", "sol", "struc")
DEFAULT_WEIGHTS = {"rel": 0.25, "cog": 0.25, "sol": 0.25, "struc": 0.25}
# benchmarks/cem.py --calibrate: mean cosine of the gate's dev pairs, off-topic and on-topic
REL_LOW, REL_HIGH = 0.14, 0.64
MAX_PERSONAS = 2    # the orchestrator thinks with at most this many (uvm.cognition.cycle)
FACET_SCALE = 6     # two personas' three pillars each


def clip01(x: float) -> float:
    return 0.0 if x != x else min(1.0, max(0.0, float(x)))


def cosine(a, b) -> float:
    import numpy as np
    a, b = np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    return 0.0 if na == 0 or nb == 0 else float(a @ b) / (na * nb)


def relevance(query_vec, answer_vec, low: float = REL_LOW, high: float = REL_HIGH) -> float:
    """H_rel of an answer."""
    return clip01((cosine(query_vec, answer_vec) - low) / (high - low))


def normalized_entropy(counts, choices: int) -> float:
    """Shannon entropy of ``counts`` divided by its maximum, log(``choices``)."""
    counts = [c for c in counts if c > 0]
    total = sum(counts)
    if choices <= 1 or total == 0:
        return 0.0
    h = -sum(c / total * math.log(c / total) for c in counts)
    return clip01(h / math.log(choices))


def cognitive_diversity(window: list[tuple[list[str], list[str]]], personas: int, facets: int) -> float:
    """H_cog of a window: each thought's (personas who thought, facets that answered)."""
    persona_counts = Counter(p for who, _ in window for p in who)
    facet_counts = Counter(f for _, used in window for f in used)
    return (normalized_entropy(persona_counts.values(), personas)
            + normalized_entropy(facet_counts.values(), facets)) / 2


def solution_novelty(answer_vec, earlier) -> float:
    """H_sol: 1 - the answer's greatest similarity to an earlier one."""
    import numpy as np
    earlier = np.asarray(earlier, dtype=np.float32).reshape(-1, len(answer_vec)) if len(earlier) else None
    if earlier is None or not len(earlier):
        return 1.0
    a = np.asarray(answer_vec, dtype=np.float32)
    sims = earlier @ a / (np.linalg.norm(earlier, axis=1) * np.linalg.norm(a) + 1e-12)
    return clip01(1.0 - float(sims.max()))


def vendi(vectors) -> float:
    """The Vendi score of the cosine kernel of ``vectors`` (the effective number of distinct
    answers, 1 .. n), rescaled to [0, 1] as (VS - 1) / (n - 1)."""
    import numpy as np
    x = np.asarray(vectors, dtype=np.float64)
    n = len(x)
    if n < 2:
        return 1.0
    x = x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-12)
    eig = np.linalg.eigvalsh(x @ x.T / n)
    eig = eig[eig > 1e-12]
    score = math.exp(-float(np.sum(eig * np.log(eig))))
    return clip01((score - 1) / (n - 1))


def trace_graph(trace: dict) -> dict[str, set[str]]:
    """The thought's trace as an undirected graph (node -> neighbours)."""
    graph: dict[str, set[str]] = {}

    def edge(a: str, b: str) -> None:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set()).add(a)
    graph["query"] = set()
    cycles = trace.get("personas") or []
    for i, c in enumerate(cycles):
        persona, answer = f"persona {i} {c['persona']}", f"answer {i}"
        edge("query", persona)
        facets = c.get("facets") or []
        for f in facets:
            node = f"facet {i} {f['selector']}"
            edge(persona, node)
            edge(node, answer)
        if not facets:
            edge(persona, answer)
        if len(cycles) > 1:
            edge(answer, "weave")
    return graph


def graph_entropy(graph: dict[str, set[str]]) -> float:
    """The entropy of the degree distribution (p_v = deg v / sum of degrees) over log |V|."""
    degrees = [len(n) for n in graph.values()]
    return normalized_entropy(degrees, len(degrees))


def structure_shares(trace: dict, max_personas: int = MAX_PERSONAS,
                     facet_scale: int = FACET_SCALE) -> dict[str, float]:
    cycles = trace.get("personas") or []
    subs = [s for c in cycles for s in c.get("subqueries") or []]
    facets = {(c["persona"], f["selector"]) for c in cycles for f in c.get("facets") or []}
    return {"personas": clip01(len({c["persona"] for c in cycles}) / max_personas),
            "facets": clip01(len(facets) / facet_scale),
            "decomposed": (sum(bool(s.get("from_model")) for s in subs) / len(subs)) if subs else 0.0,
            "graph": graph_entropy(trace_graph(trace))}


def structural_complexity(trace: dict, max_personas: int = MAX_PERSONAS,
                          facet_scale: int = FACET_SCALE) -> float:
    """H_struc of a thought's trace."""
    shares = structure_shares(trace, max_personas, facet_scale)
    return sum(shares.values()) / len(shares)


def cem(components: dict[str, float], weights: dict[str, float]) -> float:
    """The weighted mean of the components (the weights need not sum to 1)."""
    total = sum(max(0.0, float(weights.get(k, 0.0))) for k in COMPONENTS)
    if total <= 0:
        return 0.0
    return clip01(sum(max(0.0, float(weights.get(k, 0.0))) * components[k] for k in COMPONENTS) / total)
