"""The Memory Curator (the seed, Part V.2): live memory kept bounded by summarising what is
rarely used and archiving the originals.

A run picks the memories least worth keeping live -- originals before summaries, then
fewest accesses, then longest unused; never the newest ``keepRecent`` share -- clusters them by embedding (spherical
k-means, a cluster about ``clusterSize`` memories), writes one summary memory per cluster
(extractive: its most central texts, or the model's when one is given), moves the
members' full records into this run's archive BLOB (``archive``) and takes them out of
the live set, so the summary is the live node. A summary's vector is its members' mean,
its lexical text adds their key words, and it links to its members; summaries are
memories, so a later run may summarise them again (a hierarchy).

``rehydrate`` makes a summary's members live again. Recall opens summaries by itself
(``recall``). One run is one transaction, the caller's: undo brings the originals back,
and nothing is lost -- every archived memory can be read back whole.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from uvm.cognition.memory import archive
from uvm.cognition.memory import text as txt
from uvm.cognition.memory import vectors as vec
from uvm.cognition.memory.store import Memory, MemoryStore, make_memory, speakers_of

CHUNK = 2048          # candidates clustered together (keeps k-means linear in the count)
ITERATIONS = 8
CENTRAL_TEXTS = 3     # texts an extractive summary quotes
KEYWORDS = 120        # words of the members a summary adds to its lexical text
MAX_NAMES = 200       # names of its members a summary is indexed by


@dataclass
class Curation:
    """What one run did."""
    archived: int = 0
    summaries: int = 0
    live_before: int = 0
    live_after: int = 0
    archive_bytes: int = 0

    def describe(self) -> str:
        if not self.summaries:
            return f"nothing to curate ({self.live_before} live memories)"
        return (f"archived {self.archived} memories under {self.summaries} summaries "
                f"({self.archive_bytes} bytes compressed); live {self.live_before} -> {self.live_after}")


def needs_curation(store: MemoryStore) -> bool:
    bound = int(store.setting("liveBound") or 0)
    return bound > 0 and store.live_count > bound


def curate(store: MemoryStore, target: int | None = None, summarize=None) -> Curation:
    """Bring the live count down to ``target`` (default: ``curateTo`` of ``liveBound``).
    ``summarize(texts) -> str`` writes a cluster's summary (default: extractive)."""
    report = Curation(live_before=store.live_count, live_after=store.live_count)
    if target is None:
        bound = int(store.setting("liveBound") or 0)
        if bound <= 0:
            return report
        target = int(bound * float(store.setting("curateTo")))
    size = max(2, int(store.setting("clusterSize")))
    excess = store.live_count - max(0, int(target))
    if excess <= 0:
        return report
    chosen = _least_kept(store, math.ceil(excess * size / (size - 1)))
    if len(chosen) < 2:
        return report
    writer = archive.RunWriter(store)
    vs = vec.unpack([m.vector for m in chosen])
    for members, centroid in _clusters(chosen, vs, size):
        _summarise(store, writer, members, centroid, summarize)
        report.summaries += 1
        report.archived += len(members)
    report.archive_bytes = writer.close()
    report.live_after = store.live_count
    return report


def _least_kept(store: MemoryStore, n: int) -> list[Memory]:
    """The ``n`` live memories least worth keeping live, in time order."""
    memories = list(store.live.values())
    protected = int(len(memories) * float(store.setting("keepRecent")))
    if protected:
        memories = memories[:-protected]  # serial order: the newest are last

    def kept(m: Memory):  # originals before summaries, then the least used, the longest unused
        s = m._slots
        last = s.get("lastAccess")
        used = txt.parse_time(last) if last else m.epoch
        return (m.is_summary, s.get("accessCount") or 0, used)
    memories.sort(key=kept)
    chosen = memories[:n]
    chosen.sort(key=lambda m: m.epoch)
    return chosen


def _clusters(memories: list[Memory], vs: np.ndarray, size: int):
    """(members, centroid) groups of about ``size`` similar memories; time-ordered
    chunks are clustered apart, so the work grows linearly with the count."""
    rng = np.random.default_rng(0)
    for idx in np.array_split(np.arange(len(memories)), max(1, round(len(memories) / CHUNK))):
        part, x = [memories[i] for i in idx], vs[idx]
        if len(part) < 2:
            continue
        k = max(1, round(len(part) / size))
        centers = x[rng.choice(len(part), size=k, replace=False)]
        for _ in range(ITERATIONS):
            assign = np.argmax(x @ centers.T, axis=1)
            for j in range(k):
                rows = x[assign == j]
                if len(rows):
                    centers[j] = vec.unit(rows.mean(axis=0))
        assign = np.argmax(x @ centers.T, axis=1)
        counts = np.bincount(assign, minlength=k)
        for i in np.flatnonzero(counts[assign] == 1):  # a member alone joins its nearest group
            sims = x[i] @ centers.T
            sims[counts == 1] = -2
            if sims.max() > -2:
                assign[i] = int(np.argmax(sims))
        for j in np.unique(assign):
            idx = np.flatnonzero(assign == j)
            yield [part[i] for i in idx], vec.unit(x[idx].mean(axis=0))


def _summarise(store, writer, members: list[Memory], centroid, summarize) -> Memory:
    vs = vec.unpack([m.vector for m in members])
    order = np.argsort(-(vs @ centroid))
    texts = [members[i]._slots["text"] for i in order]
    epochs = [m.epoch for m in members]
    speakers = sorted({m._slots.get("speaker") for m in members if m._slots.get("speaker")})
    subjects = {m._slots.get("subject") for m in members}
    head = (f"{len(members)} memories, {txt.iso(min(epochs))[:10]} to {txt.iso(max(epochs))[:10]}"
            + (f" ({', '.join(speakers[:4])})" if speakers else ""))
    body = summarize(texts) if summarize is not None else " | ".join(t.strip() for t in texts[:CENTRAL_TEXTS])
    links: list = []
    records = []
    for m in members:
        rec = m.record()
        own = m.hidden("_links", ())
        rec["links"] = [_index_of(links, o) for o in own]
        records.append(rec)
    where = writer.add(records, [m.vector for m in members])
    inside = {m.serial for m in members}
    related = sorted({s for m in members for s in m.hidden("_related", ()) if s not in inside})
    for m in members:
        store._leave(m)
    heard = sorted({sp for m in members for sp in speakers_of(m)})
    names = list(dict.fromkeys(n for m in members for n in m.hidden("_names", ())))[:MAX_NAMES]
    summary = store.add(f"{head}: {body}", vec.pack(centroid[None, :])[0],
                        time=txt.iso(max(epochs)),
                        speaker=speakers[0] if len(speakers) == 1 else None,
                        subject=next(iter(subjects)) if len(subjects) == 1 else None,
                        importance=max(float(m._slots.get("importance") or 0) for m in members),
                        links=tuple(links), kind="summary", related=tuple(related),
                        id=f"summary-{store.next_serial}")
    summary._members = tuple(m.serial for m in members)
    summary._frame = where
    summary._keywords = _keywords(texts)
    # the summary stands in for its members in the tables: whom they heard, what they name
    store._leave(summary)
    summary._speakers = tuple(heard)
    summary._names = tuple(names)
    store._enter(summary)
    for m in members:
        store.archived[m.serial] = summary.serial
    store.archived_count += len(members)
    store.changed()
    return summary


def _index_of(items: list, obj) -> int:
    for i, o in enumerate(items):
        if o is obj:
            return i
    items.append(obj)
    return len(items) - 1


def _keywords(texts: list[str]) -> str:
    """The members' distinct content words, names first: what BM25 finds a summary by."""
    names: dict[str, None] = {}
    words: dict[str, None] = {}
    stop = txt._stopwords()
    for t in texts:
        for n in txt.names(t):
            names.setdefault(n, None)
        for w in txt._WORD.findall(t.lower()):
            if w not in stop and len(w) > 2:
                words.setdefault(w, None)
    out = list(names) + [w for w in words if w not in names]
    return " ".join(out[:KEYWORDS])


def rehydrate(store: MemoryStore, summary: Memory) -> list[Memory]:
    """Make a live summary's members live again (as they were, with their ids, serials and
    links) and retire the summary. Answers the members."""
    if not isinstance(summary, Memory) or not summary.is_summary:
        raise ValueError("rehydrate: needs a summary memory")
    if store.live.get(summary.serial) is not summary:
        raise ValueError("rehydrate: this summary is not live in this memory (open the summary "
                         "that holds it first)")
    links = summary.hidden("_links", ())
    out = []
    for rec in archive.read_frame(store, summary.hidden("_frame")):
        values = {name: rec.get(name) for name in
                  ("id", "text", "time", "session", "speaker", "subject", "importance",
                   "accessCount", "lastAccess", "kind")}
        m = make_memory(store.traits, rec["serial"], values, rec["vector"], rec["epoch"],
                        tuple(rec.get("names", ())), rec.get("previous"),
                        tuple(links[i] for i in rec.get("links", ()) if i < len(links)),
                        tuple(rec.get("related", ())))
        if values["kind"] == "summary":
            m._members = tuple(rec["members"])
            m._frame = tuple(rec["frame"])
            m._keywords = rec.get("keywords", "")
            m._speakers = tuple(rec.get("speakers", ()))
        store._enter(m)
        if store.archived.get(m.serial) == summary.serial:
            del store.archived[m.serial]
            store.archived_count -= 1
        out.append(m)
    store._leave(summary)
    ident = summary._slots.get("id")
    if ident is not None and store.ids.get(ident) == summary.serial:
        del store.ids[ident]
    return out


def archived_record(store: MemoryStore, serial: int) -> dict | None:
    """The whole record of an archived memory (through every level of summaries), or None."""
    holder = store.archived.get(serial)
    if holder is None:
        return None
    summary = store.live.get(holder)
    if summary is None:
        outer = archived_record(store, holder)
        if outer is None:
            return None
        summary = {"frame": outer.get("frame")}
        where = summary["frame"]
    else:
        where = summary.hidden("_frame")
    if where is None:
        return None
    return next((r for r in archive.read_frame(store, where) if r["serial"] == serial), None)


def model_summarizer(backend, max_tokens: int = 80):
    """``summarize`` for ``curate`` that asks a language model (the run's backend)."""
    def summarize(texts: list[str]) -> str:
        listing = "\n".join(f"- {t.strip()}" for t in texts[:24])
        answer = backend.complete(
            [{"role": "system", "content": "You write short, factual summaries."},
             {"role": "user", "content": "Summarise these notes in one or two sentences, "
                                         f"keeping names, places and dates:\n{listing}"}],
            max_tokens=max_tokens, temperature=0.0)
        answer = " ".join(answer.split())
        return answer or " | ".join(t.strip() for t in texts[:CENTRAL_TEXTS])
    return summarize
