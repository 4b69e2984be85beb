"""Is a failed send a typo? The selectors a receiver understands, and the one a small edit
away from what was sent: the "did you mean" of a ``doesNotUnderstand:`` error, with or
without a language model (the synthesis pipeline also uses it to keep typos away from
the model)."""
from __future__ import annotations

from uvm.runtime import send as send_mod
from uvm.runtime.objects import UvmObject, map_of


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Levenshtein distance (stops counting past ``limit``)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def start_of(receiver) -> UvmObject:
    """Where lookup starts: the object itself, or a host value's trait."""
    return receiver if isinstance(receiver, UvmObject) else send_mod.trait_of(receiver)


def parent_chain(start: UvmObject) -> list[UvmObject]:
    """The objects lookup visits from ``start``, in order, each once."""
    seen, out = set(), []

    def walk(obj):
        if id(obj) in seen or not isinstance(obj, UvmObject):
            return
        seen.add(id(obj))
        out.append(obj)
        for p in map_of(obj).parents:
            walk(obj._slots[p])
    walk(start)
    return out


def understood_selectors(receiver) -> set[str]:
    names = set()
    for obj in parent_chain(start_of(receiver)):
        for name in obj._slots:
            names.add(name)
            names.add(name + ":")  # assignable slots answer their setter too (close enough)
    return {n for n in names if not n.startswith("_")}


def typo_of(selector: str, known: set[str]) -> str | None:
    """The closest known selector a small edit away, if any (a typo, not an intent)."""
    if selector in known:
        return None
    limit = 1 if len(selector) <= 7 else 2  # `sort` and `sorted` are two intents
    best, best_d = None, limit + 1
    for k in sorted(known):
        if k.count(":") != selector.count(":"):
            continue
        d = edit_distance(selector, k, limit)
        if d < best_d:
            best, best_d = k, d
    return best if best_d <= limit else None


def did_you_mean(receiver, selector: str) -> str:
    """`` (did you mean #x?)`` for a typo of a selector ``receiver`` understands, else ''."""
    try:
        typo = typo_of(selector, understood_selectors(receiver))
    except Exception:  # noqa: BLE001 -- a hint must never turn into another error
        return ""
    return f" (did you mean #{typo}?)" if typo else ""
