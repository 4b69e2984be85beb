"""A throw-away image's storage: ZODB's ``MappingStorage`` without BTrees.

``MappingStorage`` keeps each object's revisions in a BTree bucket, and importing BTrees
costs a ``uvm --memory -c`` run about as much as everything else it does together. Here
the revisions are a list per object (a throw-away image holds a few hundred objects with
a few revisions each), and the storage can start from records saved earlier -- the
prebuilt core world (``prebuilt.py``) -- instead of from nothing. Like ``MappingStorage``
it has no undo (so no history) and forgets everything when closed.
"""
from __future__ import annotations

import threading

import zope.interface
from persistent.TimeStamp import TimeStamp
from ZODB import POSException, interfaces, utils


@zope.interface.implementer(interfaces.IStorage)
class MemoryStorage:
    """Objects in dictionaries: ``{oid: [(tid, pickle), ...]}``, oldest revision first."""

    def __init__(self, records: dict[bytes, bytes] | None = None, tid: bytes = utils.z64,
                 name: str = "in-memory image"):
        self.__name__ = name
        self._data: dict[bytes, list[tuple[bytes, bytes]]] = {
            oid: [(tid, pickle)] for oid, pickle in (records or {}).items()}
        self._ltid = tid if records else utils.z64
        self._oid = max((utils.u64(oid) for oid in self._data), default=0)
        self._lock = threading.RLock()
        self._commit_lock = threading.Lock()
        self._transaction = None
        self._tdata: dict[bytes, bytes] = {}
        self._tid = utils.z64

    def current_records(self) -> tuple[bytes, dict[bytes, bytes]]:
        """(last tid, {oid: newest pickle}): what a later storage can start from."""
        with self._lock:
            return self._ltid, {oid: revisions[-1][1] for oid, revisions in self._data.items()}

    # --- IStorage: reading ---------------------------------------------------------------
    def getName(self) -> str:  # noqa: N802 -- ZODB's interface names
        return self.__name__

    def sortKey(self) -> str:  # noqa: N802
        return f"{self.__name__}:{id(self)}"

    def getSize(self) -> int:  # noqa: N802
        with self._lock:
            return sum(len(p) for revisions in self._data.values() for _, p in revisions)

    def __len__(self) -> int:
        return len(self._data)

    def isReadOnly(self) -> bool:  # noqa: N802
        return False

    def supportsUndo(self) -> bool:  # noqa: N802
        return False

    def lastTransaction(self) -> bytes:  # noqa: N802
        return self._ltid

    def getTid(self, oid: bytes) -> bytes:  # noqa: N802
        with self._lock:
            revisions = self._data.get(oid)
            if not revisions:
                raise POSException.POSKeyError(oid)
            return revisions[-1][0]

    load = utils.load_current

    def loadBefore(self, oid: bytes, tid: bytes):  # noqa: N802
        """(pickle, its tid, the next revision's tid or None) of the revision before
        ``tid``; None when the object did not exist yet."""
        with self._lock:
            revisions = self._data.get(oid)
            if not revisions:
                raise POSException.POSKeyError(oid)
            for i in range(len(revisions) - 1, -1, -1):
                if revisions[i][0] < tid:
                    after = revisions[i + 1][0] if i + 1 < len(revisions) else None
                    return revisions[i][1], revisions[i][0], after
            return None

    def loadSerial(self, oid: bytes, serial: bytes) -> bytes:  # noqa: N802
        with self._lock:
            for tid, pickle in self._data.get(oid, ()):
                if tid == serial:
                    return pickle
        raise POSException.POSKeyError(oid, serial)

    def history(self, oid: bytes, size: int = 1) -> list[dict]:
        with self._lock:
            revisions = self._data.get(oid)
            if not revisions:
                raise POSException.POSKeyError(oid)
            return [{"tid": tid, "serial": tid, "size": len(p), "user_name": b"",
                     "description": b"", "time": TimeStamp(tid).timeTime()}
                    for tid, p in reversed(revisions[-size:])]

    # --- IStorage: writing ---------------------------------------------------------------
    def new_oid(self) -> bytes:
        with self._lock:
            self._oid += 1
            return utils.p64(self._oid)

    def registerDB(self, db) -> None:  # noqa: N802
        pass

    def tpc_begin(self, transaction, tid: bytes | None = None) -> None:
        if transaction is self._transaction:
            raise POSException.StorageTransactionError("Duplicate tpc_begin calls for same "
                                                       "transaction")
        self._commit_lock.acquire()
        with self._lock:
            self._transaction = transaction
            self._tdata = {}
            self._tid = tid or utils.newTid(self._ltid if self._ltid != utils.z64 else None)

    def store(self, oid: bytes, serial: bytes, data: bytes, version: str, transaction) -> None:
        assert not version, "versions are not supported"
        if transaction is not self._transaction:
            raise POSException.StorageTransactionError(self, transaction)
        with self._lock:
            revisions = self._data.get(oid)
            if revisions and revisions[-1][0] != serial:
                raise POSException.ConflictError(oid=oid, serials=(revisions[-1][0], serial),
                                                 data=data)
            self._tdata[oid] = data

    def checkCurrentSerialInTransaction(self, oid: bytes, serial: bytes, transaction) -> None:  # noqa: N802
        if transaction is not self._transaction:
            raise POSException.StorageTransactionError(self, transaction)
        committed = self.getTid(oid)
        if committed != serial:
            raise POSException.ReadConflictError(oid=oid, serials=(committed, serial))

    def tpc_vote(self, transaction) -> None:
        if transaction is not self._transaction:
            raise POSException.StorageTransactionError("tpc_vote called with wrong transaction")

    def tpc_finish(self, transaction, func=lambda tid: None) -> bytes:
        if transaction is not self._transaction:
            raise POSException.StorageTransactionError("tpc_finish called with wrong "
                                                       "transaction")
        with self._lock:
            tid = self._tid
            func(tid)
            for oid, data in self._tdata.items():
                self._data.setdefault(oid, []).append((tid, data))
            self._ltid = tid
            self._transaction = None
            self._tdata = {}
        self._commit_lock.release()
        return tid

    def tpc_abort(self, transaction) -> None:
        if transaction is not self._transaction:
            return
        with self._lock:
            self._transaction = None
            self._tdata = {}
        self._commit_lock.release()

    def tpc_transaction(self):
        return self._transaction

    def pack(self, t: float, referencesf, gc: bool = True) -> None:
        """Drop revisions older than ``t`` that are no longer current (no garbage
        collection: a throw-away image is gone soon anyway)."""
        import time
        stop = TimeStamp(*time.gmtime(t)[:5] + (t % 60,)).raw()
        with self._lock:
            for oid, revisions in self._data.items():
                older = [r for r in revisions[:-1] if r[0] < stop]
                if older:
                    self._data[oid] = revisions[len(older):]

    def close(self) -> None:
        pass
