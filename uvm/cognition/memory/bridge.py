"""What the memory's prototypes call: ``memoryPy`` in UVM is this module (through the
``python import:`` bridge), so each function is named as UVM sends it
(``memoryPy recall: self Question: q Limit: k`` calls ``recall(self, question=q, limit=k)``).

Each answers UVM values and turns bad input into a ``UvmError`` that says what was wrong.
"""
from __future__ import annotations

from uvm.cognition.memory import api, briefing
from uvm.cognition.memory.store import Memory, store_of
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import UvmDict, UvmList, UvmObject

briefing.register()  # once UVM code uses memory, briefs include what it remembers

_OPTIONS = {"id": "id", "time": "time", "at": "time", "session": "session", "speaker": "speaker",
            "subject": "subject", "importance": "importance", "about": "about"}


def remember(memory, text=None, time=None, session=None, subject=None, speaker=None,
             about=None):
    """``memory remember: 'text'`` and its keyword variants."""
    if not isinstance(text, str):
        raise UvmError(f"remember: needs a string, not {_kind(text)}")
    for name, value in (("At:", time), ("Session:", session), ("Subject:", subject),
                        ("Speaker:", speaker)):
        if value is not None and not isinstance(value, str):
            raise UvmError(f"remember:{name} needs a string, not {_kind(value)}")
    abouts = () if about is None else (tuple(about) if isinstance(about, (list, tuple)) else (about,))
    return api.remember(memory, text, time=time, session=session, subject=subject,
                        speaker=speaker, about=abouts)


def rememberWith(memory, text=None, options=None):  # noqa: N802 (named as UVM sends it)
    """``memory remember: 'text' With: (dictionary ...)``: keys id, time (or at),
    session, speaker, subject, importance, about."""
    if not isinstance(options, dict):
        raise UvmError("remember:With: needs a dictionary of options")
    kw = {}
    for key, value in options.items():
        name = _OPTIONS.get(str(key))
        if name is None:
            raise UvmError(f"remember:With: does not know the option {key!r} (it knows "
                           f"{', '.join(sorted(set(_OPTIONS)))})")
        kw[name] = value
    about = kw.pop("about", ())
    about = tuple(about) if isinstance(about, (list, tuple)) else (about,) if about is not None else ()
    if not isinstance(text, str):
        raise UvmError(f"remember:With: needs a string, not {_kind(text)}")
    return api.remember(memory, text, about=about, **kw)


def recall(memory, question=None, limit=5):
    """``memory recall: 'question' Limit: k``: the memories, best first."""
    return UvmList([r.memory for r in _recalled(memory, question, limit)])


def scored(memory, question=None, limit=5):
    """``memory scored: 'question' Limit: k``: (memory & score) pairs, best first."""
    return UvmList([UvmList([r.memory, r.score]) for r in _recalled(memory, question, limit)])


def _recalled(memory, question, limit):
    if not isinstance(question, str):
        raise UvmError(f"recall: needs a string, not {_kind(question)}")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise UvmError("recall:Limit: needs a positive integer")
    return api.recall(memory, question, limit)


def curate(memory, target=None):
    """``memory curate`` (down to the bound's share) or ``memory curateTo: n``."""
    if target is not None and (not isinstance(target, int) or target < 0):
        raise UvmError("curateTo: needs a non-negative integer")
    return api.curate(memory, target).describe()


def rehydrate(memory, summary=None):
    if not isinstance(summary, Memory):
        raise UvmError("rehydrate: needs a summary memory")
    return UvmList(api.rehydrate(memory, summary))


def stats(memory) -> str:
    s = api.stats(memory)
    return (f"{s['live']} live memories ({s['summaries']} summaries), {s['archived']} archived "
            f"in {s['archive_runs']} archive BLOBs ({s['archive_bytes']} bytes); index: {s['index']}; "
            f"live bound {s['live_bound'] or 'none'}")


def size(memory) -> int:
    return store_of(memory).live_count


def at(memory, ident=None):
    """``memory at: 'id'``: the memory with that id (live, or the summary holding it), or nil."""
    return store_of(memory).by_id(str(ident))


def archived(memory, ident=None):
    """``memory archived: 'id'``: an archived memory read back whole (nil if it is live or unknown)."""
    from uvm.cognition.memory.curator import archived_record
    from uvm.cognition.memory.recall import view_of
    store = store_of(memory)
    serial = store.ids.get(str(ident))
    record = None if serial is None else archived_record(store, serial)
    return None if record is None else view_of(store, record, store.get(serial))


def setting(memory, name=None, value=None):
    """``memory setting: 'liveBound' To: 5000`` (and recall's weights by name)."""
    from uvm.cognition.memory.recall import default_weights
    from uvm.cognition.memory.store import DEFAULT_SETTINGS
    known = set(DEFAULT_SETTINGS) | set(default_weights())
    if name not in known:
        raise UvmError(f"memory has no setting {name!r} (it has {', '.join(sorted(known))})")
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise UvmError(f"the setting {name} must be a number")
    store_of(memory).settings[name] = value
    return memory


def settings(memory):
    from uvm.cognition.memory.recall import default_weights
    from uvm.cognition.memory.store import DEFAULT_SETTINGS
    store = store_of(memory)
    return UvmDict({name: store.setting(name) for name in [*DEFAULT_SETTINGS, *default_weights()]})


def link(memory, a=None, to=None):
    """``memory link: a To: b``: two memories linked both ways (graph expansion follows it)."""
    if not isinstance(a, Memory) or not isinstance(to, Memory):
        raise UvmError("link:To: needs two memories")
    store = store_of(memory)
    for x, y in ((a, to), (to, a)):
        if store.live.get(x.serial) is not x:
            raise UvmError("link:To: links live memories of this memory only")
        if y.serial not in x.hidden("_related", ()):
            x._related = tuple(x.hidden("_related", ())) + (y.serial,)
    store.changed()
    return memory


# --- a memory's own messages -------------------------------------------------------------------

def describe(m) -> str:
    if not isinstance(m, Memory):
        return "a memory"
    s = m._slots
    who = f", {s['speaker']}" if s.get("speaker") else ""
    text = s.get("text") or ""
    text = text if len(text) <= 60 else text[:57] + "..."
    kind = "summary" if m.is_summary else "memory"
    return f"a {kind} {s.get('id')} ({(s.get('time') or '')[:10]}{who}): {text!r}"


def linksOf(m):  # noqa: N802
    """What a memory links to: the memories of its graph (see ``MemoryStore.neighbours``),
    then other objects (the thought, the persona, what it is about)."""
    if not isinstance(m, Memory):
        raise UvmError("links is for memories")
    return UvmList([nb for nb, _ in _store_of_memory(m).neighbours(m)] + list(m.hidden("_links", ())))


def links_with_reasons(m: Memory) -> list[tuple[object, str]]:
    """(object, why) for each link of a memory, for :inspect and :graph."""
    rows = [(nb, why) for nb, why in _store_of_memory(m).neighbours(m)]
    rows += [(o, "linked object") for o in m.hidden("_links", ())]
    if m.is_summary:
        rows += [(v, "archived member") for v in membersOf(m)]
    return rows


def membersOf(m):  # noqa: N802
    """A summary's archived members, read back (not live: ``memory rehydrate:`` makes them so)."""
    if not isinstance(m, Memory) or not m.is_summary:
        raise UvmError("members: is for summaries")
    from uvm.cognition.memory.recall import _members_of
    return UvmList([v for v, _ in _members_of(_store_of_memory(m), m)])


def _store_of_memory(m: Memory):
    """The store a memory lives in (found through the image's memory object)."""
    from uvm.runtime import send
    if send.world is None:
        raise UvmError("memories work only inside an open image")
    memory = send.world.lobby._slots["globals"]._slots.get("memory")
    return store_of(memory)


def _kind(value) -> str:
    if isinstance(value, UvmObject):
        return "an object"
    return type(value).__name__

