"""The memory store: memories as objects in the image, and the tables that find them.

A memory is a UVM object (``Memory``, inheriting from ``traits memory``) whose slots say
what people read: ``id``, ``text``, ``time``, ``session``, ``speaker``, ``subject``,
``importance``, ``accessCount``, ``lastAccess`` and ``kind`` ('memory' or 'summary'). What
only recall reads is kept beside the slots, in the object's own persistent state: its
serial number, its embedding (388 bytes, ``vectors``), its time in epoch seconds, the
names it mentions, the serial of the previous memory of its session, and its links to
other objects (the thought that made it, the persona, the objects it is about).

A memory links to other memories by serial number, not by reference, so that archiving
one (``curator``) leaves nothing pointing at it: a serial resolves to the live memory,
or to the summary that archived it.

``MemoryStore`` holds the live memories (serial -> memory, a BTree), the external ids,
sessions, subjects and names (each a BTree of serial sets), the archive (serial -> the
serial of its summary, and the archive BLOBs), the settings, and a few counters the
process-side index (``index``) uses to see what changed. Every change happens in the
caller's transaction: an evaluation that fails remembers nothing.
"""
from __future__ import annotations

import os
import time as _time

from BTrees.LOBTree import LOBTree
from BTrees.LLBTree import LLTreeSet
from BTrees.OLBTree import OLBTree
from BTrees.OOBTree import OOBTree
from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from uvm.cognition.memory import text as txt
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import ASSIGNABLE, CONSTANT, PARENT, UvmObject, instance_dict

SLOTS = ("id", "text", "time", "session", "speaker", "subject", "importance", "accessCount",
         "lastAccess", "kind")
DEFAULT_IMPORTANCE = 0.5


class MemoryInputError(UvmError):
    """Bad input to the memory (a missing text, a bad time, an unknown id)."""


class Memory(UvmObject):
    """One memory: a UVM object with the slots in ``SLOTS`` and a parent ``traits memory``."""

    # --- what recall reads (persistent state beside the slots) ---------------------------------
    @property
    def serial(self) -> int:
        self._p_activate()
        return instance_dict(self)["_serial"]

    @property
    def vector(self) -> bytes:
        self._p_activate()
        return instance_dict(self)["_vector"]

    @property
    def epoch(self) -> float:
        self._p_activate()
        return instance_dict(self)["_epoch"]

    def hidden(self, name: str, default=None):
        self._p_activate()
        return instance_dict(self).get(name, default)

    @property
    def is_summary(self) -> bool:
        return self._slots.get("kind") == "summary"

    def record(self) -> dict:
        """Everything this memory is, as plain values (what the archive keeps)."""
        self._p_activate()
        d = instance_dict(self)
        rec = {name: self._slots.get(name) for name in SLOTS}
        rec.update(serial=d["_serial"], epoch=d["_epoch"], names=list(d.get("_names", ())),
                   previous=d.get("_previous"), related=list(d.get("_related", ())))
        if rec["kind"] == "summary":
            rec.update(members=list(d["_members"]), frame=list(d["_frame"]),
                       keywords=d.get("_keywords", ""), speakers=list(d.get("_speakers", ())))
        return rec


def make_memory(traits: UvmObject, serial: int, values: dict, vector: bytes, epoch: float,
                names: tuple = (), previous: int | None = None, links: tuple = (),
                related: tuple = ()) -> Memory:
    """A new memory object (not yet in a store)."""
    m = Memory()
    m._slots["parent"] = traits
    m._kinds["parent"] = CONSTANT | PARENT
    for name in SLOTS:
        m._slots[name] = values.get(name)
        m._kinds[name] = ASSIGNABLE
    m._serial = serial
    m._vector = vector
    m._epoch = epoch
    m._names = tuple(names)
    if previous is not None:
        m._previous = previous
    if links:
        m._links = tuple(links)
    if related:
        m._related = tuple(related)
    return m


DEFAULT_SETTINGS = {
    "liveBound": 20000,        # live memories past which remember/ingest curate (0: never)
    "curateTo": 0.9,           # a curation brings the live count down to this share of the bound
    "clusterSize": 16,         # memories a summary stands for, about
    "keepRecent": 0.1,         # the newest share of live memories is never archived
    "annThreshold": 300000,    # live memories past which vector search is approximate (hnswlib)
}


class MemoryStore(Persistent):
    """The live memories and their tables (see the module's docstring)."""

    def __init__(self, traits: UvmObject):
        self.traits = traits                  # traits memory: every memory's parent
        self.live = LOBTree()                 # serial -> Memory (memories and summaries)
        self.ids = OLBTree()                  # external id -> serial (live or archived)
        self.archived = LOBTree()             # serial -> serial of the summary holding it
        self.sessions = OOBTree()             # session -> LLTreeSet of serials
        self.subjects = OOBTree()             # subject -> LLTreeSet of serials (live)
        self.names = OOBTree()                # name -> LLTreeSet of serials (live)
        self.speakers = OOBTree()             # speaker, lower-case -> LLTreeSet of serials (live)
        self.archives = PersistentList()      # the curator's BLOBs, one a run
        self.settings = PersistentMapping()   # overrides of DEFAULT_SETTINGS and recall weights
        self.next_serial = 1
        self.live_count = 0
        self.serial_sum = 0                   # of the live serials: the index checks itself by it
        self.archived_count = 0
        self.removals = 0                     # serials that left ``live`` (for the index)
        self.latest = 0.0                     # the newest memory's time: recall's "now"
        self.token = b""                      # changes with every change (for the index)
        self.removed_token = b""              # changes with every removal (for the index)
        self.ann = None                       # derived: the ANN index BLOB, or None

    # --- settings -------------------------------------------------------------------------------
    def setting(self, name: str):
        if name in self.settings:
            return self.settings[name]
        if name in DEFAULT_SETTINGS:
            return DEFAULT_SETTINGS[name]
        from uvm.cognition.memory.recall import default_weights
        return default_weights()[name]

    # --- adding ---------------------------------------------------------------------------------
    def add(self, text: str, vector: bytes, *, id: str | None = None, time=None,
            session: str | None = None, speaker: str | None = None,
            subject: str | None = None, importance: float | None = None,
            links: tuple = (), kind: str = "memory", related: tuple = ()) -> Memory:
        """Remember one text whose embedding is ``vector`` (``vectors.pack``)."""
        if not isinstance(text, str) or not text.strip():
            raise MemoryInputError("a memory needs a non-empty text")
        try:
            epoch = txt.parse_time(time) if time is not None else _time.time()
        except ValueError as e:
            raise MemoryInputError(str(e)) from None
        if importance is None:
            importance = DEFAULT_IMPORTANCE
        if not isinstance(importance, (int, float)) or not 0 <= importance <= 1:
            raise MemoryInputError(f"importance must be a number from 0 to 1, not {importance!r}")
        serial = self.next_serial
        self.next_serial = serial + 1
        ident = str(id) if id is not None else f"m{serial}"
        if self.ids.get(ident) is not None:
            raise MemoryInputError(f"there is already a memory with the id {ident!r}")
        previous = None
        if session is not None:
            session = str(session)
            members = self.sessions.get(session)
            if members is None:
                members = self.sessions[session] = LLTreeSet()
            elif len(members):
                previous = members.maxKey()
            members.insert(serial)
        values = {"id": ident, "text": text, "time": txt.iso(epoch), "session": session,
                  "speaker": None if speaker is None else str(speaker),
                  "subject": None if subject is None else str(subject),
                  "importance": importance, "accessCount": 0, "lastAccess": None, "kind": kind}
        memory = make_memory(self.traits, serial, values, vector, epoch, txt.names(text),
                             previous, tuple(links), tuple(related))
        self._enter(memory)
        self.ids[ident] = serial
        self.latest = max(self.latest, epoch)
        return memory

    def _enter(self, memory: Memory) -> None:
        """Put a memory (new or rehydrated) into ``live`` and its tables."""
        serial = memory.serial
        self.live[serial] = memory
        self.live_count += 1
        self.serial_sum += serial
        subject = memory._slots.get("subject")
        if subject is not None:
            _set_in(self.subjects, subject).insert(serial)
        for name in memory.hidden("_names", ()):
            _set_in(self.names, name).insert(serial)
        for speaker in speakers_of(memory):
            _set_in(self.speakers, speaker.lower()).insert(serial)
        self.changed()

    def _leave(self, memory: Memory) -> None:
        """Take a memory out of ``live`` and its tables (archiving or rehydrating)."""
        serial = memory.serial
        del self.live[serial]
        self.live_count -= 1
        self.serial_sum -= serial
        self.removals += 1
        self.removed_token = os.urandom(8)
        subject = memory._slots.get("subject")
        if subject is not None:
            _discard(self.subjects, subject, serial)
        for name in memory.hidden("_names", ()):
            _discard(self.names, name, serial)
        for speaker in speakers_of(memory):
            _discard(self.speakers, speaker.lower(), serial)
        self.changed()

    def changed(self) -> None:
        self.token = os.urandom(8)

    # --- finding --------------------------------------------------------------------------------
    def named(self, name: str, limit: int) -> list[int]:
        """Serials of the newest ``limit`` live memories said by, or naming, ``name``
        (lower-case): the graph's way from a name in a question to memories."""
        out: list[int] = []
        for tree in (self.speakers, self.names):
            members = tree.get(name)
            if members is not None:
                keys = list(members.keys())
                out += keys[-limit:]
        return out

    def get(self, serial: int) -> Memory | None:
        """The live memory with this serial, or the live summary that holds it archived."""
        seen = 0
        while serial is not None and seen < 64:
            m = self.live.get(serial)
            if m is not None:
                return m
            serial = self.archived.get(serial)
            seen += 1
        return None

    def by_id(self, ident: str) -> Memory | None:
        serial = self.ids.get(str(ident))
        return None if serial is None else self.get(serial)

    def neighbours(self, memory: Memory, name_limit: int = 40) -> list[tuple[Memory, str]]:
        """(memory, why) for the memories linked to ``memory``: the previous and next of its
        session, those with its subject, those naming a name it names (names named by more
        than ``name_limit`` memories say little and are skipped), the ones it was linked to,
        and a summary's members' summary (or a member's summary)."""
        serial = memory.serial
        out: dict[int, tuple[Memory, str]] = {}

        def add(s, why):
            if s is None or s == serial or s in out:
                return
            m = self.get(s)
            if m is not None and m.serial != serial:
                out.setdefault(m.serial, (m, why))

        add(memory.hidden("_previous"), "previous in its session")
        session = memory._slots.get("session")
        if session is not None:
            members = self.sessions.get(session)
            if members is not None:
                after = members.keys(serial + 1)
                for s in after:
                    add(s, "next in its session")
                    break
        subject = memory._slots.get("subject")
        if subject is not None:
            for s in self.subjects.get(subject, ()):
                add(s, f"same subject {subject!r}")
        for name in memory.hidden("_names", ()):
            members = self.names.get(name)
            if members is not None and len(members) <= name_limit:
                for s in members:
                    add(s, f"also names {name.capitalize()}")
        for s in memory.hidden("_related", ()):
            add(s, "linked")
        holder = self.archived.get(serial)
        if holder is not None:
            add(holder, "its summary")
        return list(out.values())


def speakers_of(memory: Memory) -> tuple:
    """Who said it: the speaker, or for a summary everyone its members heard from."""
    if memory.is_summary:
        return memory.hidden("_speakers", ())
    speaker = memory._slots.get("speaker")
    return (speaker,) if speaker else ()


def _set_in(tree, key) -> LLTreeSet:
    s = tree.get(key)
    if s is None:
        s = tree[key] = LLTreeSet()
    return s


def _discard(tree, key, serial: int) -> None:
    s = tree.get(key)
    if s is not None and serial in s:
        s.remove(serial)
        if not len(s):
            del tree[key]


def store_of(memory_object: UvmObject) -> MemoryStore:
    """The store behind a ``memory`` object (made on first use; a copy of ``memory`` is a
    memory of its own)."""
    memory_object._p_activate()
    store = instance_dict(memory_object).get("_store")
    if store is None:
        traits = memory_object._slots.get("memoryTraits")
        if not isinstance(traits, UvmObject):
            raise UvmError("this object is not a memory (it has no memoryTraits slot)")
        store = MemoryStore(traits)
        memory_object._store = store
    return store


def is_memory(value) -> bool:
    return isinstance(value, Memory)
