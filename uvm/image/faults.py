"""What went wrong underneath an evaluation, in words.

ZODB reports a storage's failures as host exceptions with little or no message
(``StateLoadError()``, ``ClientDisconnected``). ``describe`` turns the ones that are about
the image rather than the program -- a server that went away, an object whose stored state
cannot be read, a record that is missing -- into one sentence that says what happened and
what to do; ``CommitWatch`` tells whether a failed commit may nonetheless have committed.
"""
from __future__ import annotations

import sys

from ZODB.POSException import POSKeyError, StateLoadError
from ZODB.utils import oid_repr


class CommitWatch:
    """A transaction data manager that only watches the two-phase commit.

    Its ``tpc_finish`` sorts first, so once it ran every storage had voted yes and the
    second phase had begun: from then on a failure (a ZEO server killed in ``tpc_finish``)
    leaves the outcome unknown -- the storage may have made the transaction durable before
    the failure reached us. Such an evaluation must never be reported as rolled back, nor
    run again by the conflict-retry loop."""

    def __init__(self):
        self.committing = False   # set by the image when the program is done
        self.finishing = False

    def sortKey(self) -> str:  # noqa: N802 -- the data manager interface's spelling
        return "\0uvm commit watch"   # before every storage's key

    def tpc_finish(self, txn) -> None:
        self.finishing = True

    def savepoint(self):
        return _NoRollback()

    def abort(self, txn) -> None: pass          # noqa: E704
    def tpc_begin(self, txn) -> None: pass      # noqa: E704
    def commit(self, txn) -> None: pass         # noqa: E704
    def tpc_vote(self, txn) -> None: pass       # noqa: E704
    def tpc_abort(self, txn) -> None: pass      # noqa: E704


class _NoRollback:
    def rollback(self) -> None:
        pass


def lost_server(exc: BaseException) -> bool:
    """A ZEO client's connection went away (ZEO is only imported by ZEO images)."""
    zeo = sys.modules.get("ZEO.Exceptions")
    return zeo is not None and isinstance(exc, zeo.ClientDisconnected)


def outcome_unknown(exc: BaseException) -> str:
    """The message for a commit that failed in its second phase."""
    if lost_server(exc):
        return ("the server went away while committing: the evaluation may have been "
                "committed; check `uvm history` (it was not run again)")
    return (f"the commit failed while finishing ({type(exc).__name__}: {exc}): the evaluation "
            "may have been committed; check `uvm history` (it was not run again)")


def describe(exc: BaseException, db, spec: str | None) -> str | None:
    """One sentence for a failure of the image underneath a program, or None when ``exc``
    is the program's own error. ``db`` (None while opening) is asked for history."""
    if lost_server(exc):
        return (f"lost the connection to the ZEO server at {(spec or '').removeprefix('zeo://')} "
                f"({exc}); nothing was committed. Is the server still running?")
    failed = _failed_load(exc)
    if failed is not None:
        oid, cause = failed
        problem = ("is missing" if isinstance(cause, POSKeyError)
                   else "cannot be read (its stored state is damaged)")
        which = f"object {oid_repr(oid)}" if oid is not None else "an object"
        return f"the image is damaged: {which} {problem}. " + _what_to_do(db, oid)
    return None


def _failed_load(exc: BaseException):
    """(oid or None, exception) of the object whose state ZODB failed to load."""
    for e in _chain(exc):
        if isinstance(e, POSKeyError) and e.args and isinstance(e.args[0], bytes):
            return e.args[0], e
        if not isinstance(e, StateLoadError):
            continue
        tb = e.__traceback__
        while tb is not None:  # Connection.setstate(obj) knows which object it was loading
            oid = tb.tb_frame.f_locals.get("oid")
            if tb.tb_frame.f_code.co_name == "setstate" and isinstance(oid, bytes):
                return oid, e
            tb = tb.tb_next
        return None, e
    return None


def _chain(exc: BaseException):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _what_to_do(db, oid: bytes | None) -> str:
    """Which evaluation last wrote the object, and how to get back before it."""
    from uvm.image import history as hist
    advice = ("The image was not changed; restore it from a copy, or see `uvm history` and "
              "undo the evaluation that wrote the object.")
    if oid is None:
        return advice
    try:
        _, tid = db.storage.load(oid)
        wrote = next((e for e in hist.history(db, 10_000) if e.id == tid.hex()), None)
    except Exception:  # noqa: BLE001 -- the advice without the evaluation is still right
        return advice
    if wrote is None:
        return advice
    first = wrote.source.strip().splitlines()[0][:60] if wrote.source.strip() else ""
    return (f"It was last written by evaluation {wrote.id} ({wrote.origin}: {first}); "
            f"`uvm undo {wrote.id}` takes that evaluation back, or restore the image from a "
            "copy (`uvm history` lists the evaluations). The image was not changed.")
