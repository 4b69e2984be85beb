"""History, undo and time travel: each committed evaluation is a ZODB transaction whose
metadata says what was evaluated; ZODB's transactional undo takes one back.

Ids are the transaction ids in hex (16 digits). The leading digits are the time, so
evaluations made close together share them: any unique prefix or suffix of an id names
an evaluation.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

# Transaction metadata keys (the transaction's "extension").
ORIGIN, SOURCE, MODEL, ATTEMPTS = "uvm.origin", "uvm.source", "uvm.model", "uvm.attempts"
# What the evaluation itself says it was (a thought: ``uvm.cognition.cycle``): its origin
# (the one it was run with is kept as ``uvm.via``) and a summary line put before its source.
CLAIMED_ORIGIN, CLAIMED_SUMMARY, VIA = "uvm.claimed_origin", "uvm.claimed_summary", "uvm.via"
SOURCE_LIMIT = 20_000  # characters of source kept per evaluation


class HistoryError(Exception):
    """An evaluation cannot be found or undone."""


@dataclass(frozen=True)
class Evaluation:
    """One committed evaluation, as ``uvm history`` lists it."""
    id: str
    time: float
    origin: str
    source: str
    model: str | None = None
    attempts: int | None = None
    undo_id: bytes | str = field(default=b"", repr=False)

    @property
    def tid(self) -> bytes:
        return bytes.fromhex(self.id)


def record(txn, source: str, origin: str, meta: dict | None = None) -> None:
    """Write what an evaluation was into its transaction before it commits."""
    ext = txn.extension
    claimed, summary = ext.pop(CLAIMED_ORIGIN, None), ext.pop(CLAIMED_SUMMARY, None)
    if claimed and claimed != origin:
        ext[VIA], origin = origin, claimed
    if summary:
        source = f"{summary}\n{source}"
    first_line = source.strip().splitlines()[0] if source.strip() else ""
    # the note is stored as UTF-8: text with lone surrogates must not break the commit
    note = f"{origin}: {first_line[:200]}".encode("utf-8", "backslashreplace").decode("utf-8")
    txn.note(note)
    ext[ORIGIN] = origin
    ext[SOURCE] = source[:SOURCE_LIMIT]
    for key, value in (meta or {}).items():
        ext[f"uvm.{key}"] = value


def _tid_hex(undo_id) -> str:
    raw = undo_id.encode() if isinstance(undo_id, str) else undo_id
    try:
        tid = base64.decodebytes(raw)
    except (binascii.Error, ValueError):
        tid = raw
    return tid.hex() if len(tid) == 8 else raw.hex()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def history(db, n: int = 20) -> list[Evaluation]:
    """The last ``n`` committed evaluations, newest first."""
    out = []
    if not db.supportsUndo():
        return out
    # the storage's own log, its user and description still bytes: DB.undoLog decodes them
    # strictly, so one damaged note would hide the whole history
    for entry in db.storage.undoLog(0, max(n, 0) + 1):
        if _text(entry.get("description")) == "initial database creation":
            continue  # ZODB's own first transaction, before the world existed
        origin = entry.get(ORIGIN) or ("bootstrap" if "bootstrap" in _text(entry.get("description"))
                                       else "unknown")
        out.append(Evaluation(
            id=_tid_hex(entry["id"]), time=entry["time"], origin=_text(origin),
            source=_text(entry.get(SOURCE) or entry.get("description")),
            model=entry.get(MODEL), attempts=entry.get(ATTEMPTS), undo_id=entry["id"]))
    return out[:max(n, 0)]


def find(db, prefix: str, search: int = 10_000) -> Evaluation:
    """The evaluation whose id starts or ends with ``prefix`` (it must be unique)."""
    prefix = prefix.strip().lower()
    if not prefix or any(c not in "0123456789abcdef" for c in prefix):
        raise HistoryError(f"{prefix!r} is not an evaluation id (ids are hex, see `uvm history`)")
    matches = [e for e in history(db, search) if e.id.startswith(prefix) or e.id.endswith(prefix)]
    if not matches:
        raise HistoryError(f"no evaluation {prefix} in this image's history (see `uvm history`)")
    if len(matches) > 1:
        raise HistoryError(f"{prefix} is ambiguous: give more digits of the id")
    return matches[0]
