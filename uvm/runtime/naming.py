"""Names for objects: the shortest path of slot names from the lobby (``traits integer``).

``:inspect``, ``:graph`` and completion menus show these instead of anonymous slot lists,
so that a parent reads ``traits clonable``. Finding them walks the object graph
breadth-first without sending messages; the REPL builds a fresh ``ObjectNames`` after each
evaluation, since an evaluation may move objects around.
"""
from __future__ import annotations

from collections import deque

from uvm.runtime.objects import PARENT, UvmObject

_DEPTH = 4          # path length searched
_LIMIT = 20_000     # objects visited at most (a big image stays quick)


class ObjectNames:
    """id(object) -> path, computed on first use."""

    def __init__(self, lobby: UvmObject):
        self.lobby = lobby
        self._names: dict[int, str] | None = None

    def name(self, obj: UvmObject) -> str | None:
        if self._names is None:
            self._names = _walk(self.lobby)
        return self._names.get(id(obj))


def _walk(lobby: UvmObject) -> dict[int, str]:
    found = {id(lobby): "lobby"}
    queue: deque = deque()

    def see(value, path: str, depth: int) -> None:
        if isinstance(value, UvmObject) and id(value) not in found and len(found) < _LIMIT:
            found[id(value)] = path
            queue.append((value, path, depth))

    # What the lobby and its parents hold reads unqualified at the top level.
    sources = [lobby] + [lobby._slots[n] for n, k in lobby._kinds.items() if k & PARENT]
    for source in sources:
        if isinstance(source, UvmObject):
            for name, value in source._slots.items():
                see(value, name, 1)
    while queue:
        obj, path, depth = queue.popleft()
        if depth >= _DEPTH:
            continue
        for name, value in obj._slots.items():
            if name.isidentifier():
                see(value, f"{path} {name}", depth + 1)
    return found
