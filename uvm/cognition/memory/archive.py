"""The curator's deep storage: archived memories as zlib-compressed JSON lines in ZODB BLOBs.

One BLOB per curator run; in it one compressed frame per summary, so reading one
summary's members back decompresses only their frame (``(archive number, offset,
length)`` is kept on the summary). A record is everything the memory was (``Memory.record``)
with its embedding in base64: an archived memory can be recovered whole. Frames never
change once written, so frames read back are cached in the process.
"""
from __future__ import annotations

import base64
import json
import zlib
from collections import OrderedDict

from ZODB.blob import Blob

from uvm.cognition.memory.store import MemoryStore

LEVEL = 6


def encode(records: list[dict], vectors: list[bytes]) -> bytes:
    lines = []
    for rec, v in zip(records, vectors):
        lines.append(json.dumps({**rec, "vector": base64.b64encode(v).decode("ascii")},
                                ensure_ascii=False, separators=(",", ":")))
    return zlib.compress(("\n".join(lines) + "\n").encode("utf-8"), LEVEL)


def decode(frame: bytes) -> list[dict]:
    out = []
    for line in zlib.decompress(frame).decode("utf-8").splitlines():
        if line:
            rec = json.loads(line)
            rec["vector"] = base64.b64decode(rec["vector"])
            out.append(rec)
    return out


class RunWriter:
    """Frames of one curator run, written into one new BLOB at the end."""

    def __init__(self, store: MemoryStore):
        self.store = store
        self.number = len(store.archives)
        self.parts: list[bytes] = []
        self.offset = 0

    def add(self, records: list[dict], vectors: list[bytes]) -> tuple[int, int, int]:
        frame = encode(records, vectors)
        where = (self.number, self.offset, len(frame))
        self.parts.append(frame)
        self.offset += len(frame)
        return where

    def close(self) -> int:
        """Store the BLOB (in the caller's transaction); answers its size in bytes."""
        if not self.parts:
            return 0
        blob = Blob()
        with blob.open("w") as f:
            for part in self.parts:
                f.write(part)
        self.store.archives.append(blob)
        return self.offset


def read_frame(store: MemoryStore, where) -> list[dict]:
    """The records of one frame (fresh dictionaries each time: callers may change them)."""
    number, offset, length = (int(x) for x in where)
    blob = store.archives[number]
    jar, oid = blob._p_jar, blob._p_oid
    key = (id(jar.db()), oid, offset) if jar is not None and oid is not None else None
    raw = _cache.get(key) if key is not None else None
    if raw is None:
        with blob.open("r") as f:
            f.seek(offset)
            raw = f.read(length)
        if key is not None:  # oids are never reused, so a cached frame never goes stale
            _cache[key] = raw
            if len(_cache) > CACHED_FRAMES:
                _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return decode(raw)


CACHED_FRAMES = 1024
_cache: "OrderedDict[tuple, bytes]" = OrderedDict()


def archived_bytes(store: MemoryStore) -> int:
    """The archive's size (compressed)."""
    total = 0
    for blob in store.archives:
        try:
            with blob.open("r") as f:
                f.seek(0, 2)
                total += f.tell()
        except Exception:  # noqa: BLE001 -- a BLOB of another client not fetched: say 0
            pass
    return total
