"""The outbox: external writes leave only after the thought that made them has committed.

As repoze.sendmail sends mail only when the transaction commits, a ``ToolCalls`` data
manager (the ``transaction`` package's IDataManager protocol) joins an evaluation's
transaction at its first tool call:

- a write (POST, PUT, PATCH, DELETE) is not sent: it is queued, and its request is added
  to the registry's ``outbox`` in the evaluation's own transaction, so it exists exactly
  when the thought commits. A savepoint rolled back (a failed attempt of the synthesis
  pipeline, a declined method) drops the writes queued after it; an aborted or failed
  evaluation drops them all: nothing is sent;
- after the commit (an after-commit hook: the image's commit is finished), a follow-up
  transaction marks the writes as being sent, they are sent, and another records their
  results and every call the evaluation made in the capability's log. A write that fails
  after the commit stays in the outbox, marked failed, visible (``uvm tools outbox``) and
  retryable; one whose process ended while it was being sent is marked so (it may have
  reached the server). Reads made by an evaluation that was rolled back are logged too:
  they did reach the server.

The follow-ups run on a connection of their own, with their own transaction manager (the
evaluation's is still finishing its commit), and write only ``results`` and the logs, so
an evaluation and its follow-ups never change the same objects. Undo cannot unsend: undoing
an evaluation takes back its outbox entries, and a write not yet sent is then never sent,
but what was sent stays sent and stays in the log.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import sys
import time

import transaction

from uvm.cognition.tools import capability as caps
from uvm.cognition.tools import client
from uvm.image import history as hist

_KEY = object()  # the transaction's data key for its ToolCalls
ORIGIN = "tools"


def calls_of(image) -> "ToolCalls":
    """The data manager of the evaluation running in ``image`` (joined on first use)."""
    txn = image.tm.get()
    try:
        dm = txn.data(_KEY)
    except KeyError:
        dm = ToolCalls(image, txn)
        txn.set_data(_KEY, dm)
    dm.join()
    return dm


class ToolCalls:
    """What one evaluation did through capabilities: its calls and its queued writes."""

    def __init__(self, image, txn):
        self.image = image
        self.transaction_manager = image.tm
        self.txn = txn
        self.calls: list[dict] = []    # log entries of requests already made
        self.writes: list[dict] = []   # outbox entries queued, in order
        self.joined = False
        self.done = False
        txn.addAfterCommitHook(self._after_commit)
        txn.addAfterAbortHook(self._after_abort)

    def join(self) -> None:
        if not self.joined:
            self.txn.join(self)
            self.joined = True

    # --- what the door reports -------------------------------------------------------------------
    def note_call(self, entry: dict) -> None:
        self.calls.append(entry)

    def queue(self, cap, entry: dict) -> dict:
        """Add ``entry`` (a write's request) to the outbox, in this transaction."""
        entry = {**entry, "id": new_id(), "capability": cap.name, "queued": time.time()}
        caps.registry(self.image.connection.root()).outbox[entry["id"]] = entry
        self.writes.append(entry)
        return entry

    # --- IDataManager ------------------------------------------------------------------------------
    def abort(self, txn) -> None:
        """The transaction (or a savepoint taken before this joined) was rolled back: the
        writes queued are gone with the outbox entries ZODB rolls back."""
        self.writes = []
        self.joined = False

    def tpc_begin(self, txn) -> None:
        pass

    def commit(self, txn) -> None:
        pass

    def tpc_vote(self, txn) -> None:
        pass

    def tpc_finish(self, txn) -> None:
        pass  # sending waits for the after-commit hook: the image's commit is then finished

    def tpc_abort(self, txn) -> None:
        self.writes = []

    def sortKey(self) -> str:
        return "~uvm.tools.outbox"

    def savepoint(self):
        return _Savepoint(self)

    # --- the end of the evaluation -----------------------------------------------------------------
    def _after_abort(self) -> None:
        self._finish(committed=False)

    def _after_commit(self, status: bool) -> None:
        self._finish(committed=status)

    def _finish(self, committed: bool) -> None:
        if self.done:
            return
        self.done = True
        writes, self.writes = (self.writes if committed else []), []
        if not writes and not self.calls:
            return
        source = str(self.txn.extension.get(hist.SOURCE) or "").strip().splitlines()
        what = {"evaluation": None, "source": source[0][:200] if source else None,
                "outcome": "committed" if committed else "rolled back"}
        if writes:
            with contextlib.suppress(Exception):
                what["evaluation"] = self.image.db.lastTransaction().hex()
        for call in self.calls:
            call.update(what)
        try:
            sent = send_writes(self.image, [w["id"] for w in writes], what)
        except Exception as e:  # noqa: BLE001 -- a follow-up that fails must be said, never lost
            _warn(f"the calls of this evaluation could not be recorded: {e}")
            return
        try:
            record(self.image, self.calls, sent)
        except Exception as e:  # noqa: BLE001
            _warn(f"{len(sent)} write{'s' if len(sent) != 1 else ''} were sent but their "
                  f"results could not be recorded ({e}); `uvm tools outbox` shows them as "
                  "'sending' (outcome unknown)")


class _Savepoint:
    def __init__(self, dm: ToolCalls):
        self.dm, self.writes = dm, len(dm.writes)

    def rollback(self) -> None:
        del self.dm.writes[self.writes:]


def new_id() -> str:
    return f"{time.time_ns() // 1000:x}{secrets.token_hex(2)}"


# --- follow-up transactions ------------------------------------------------------------------------

@contextlib.contextmanager
def follow_up(image, note: str):
    """A transaction on a connection of its own (the evaluation's may still be finishing),
    recorded in the history with origin ``tools``."""
    tm = transaction.TransactionManager()
    conn = image.db.open(transaction_manager=tm)
    try:
        tm.begin()
        yield conn.root()
        hist.record(tm.get(), note, ORIGIN)
        tm.commit()
    except BaseException:
        tm.abort()
        raise
    finally:
        conn.close()


def send_writes(image, ids: list[str], what: dict | None = None) -> list[dict]:
    """Send the outbox entries ``ids`` (committed): mark them as being sent, send each
    through its capability as it is now (revoked: not sent), answer what happened."""
    if not ids:
        return []
    plans = []
    with follow_up(image, f"sending {len(ids)} queued write{'s' if len(ids) != 1 else ''}") as root:
        reg = caps.registry(root)
        for wid in ids:
            entry = reg.outbox.get(wid)
            if entry is None:
                continue  # taken back by an undo
            before = reg.results.get(wid) or {}
            cap = reg.capabilities.get(entry["capability"])
            plans.append((dict(entry), _view(cap), int(before.get("attempts", 0)) + 1))
            reg.results[wid] = {**before, "state": "sending", "attempts": plans[-1][2],
                                "started": time.time()}
    sent = []
    for entry, cap, attempts in plans:
        sent.append(_send_one(entry, cap, attempts, what or {}))
    return sent


def _view(cap) -> dict | None:
    """What sending needs of a capability, read while its transaction is open."""
    if cap is None:
        return None
    return {"name": cap.name, "origin": cap.origin, "secrets": dict(cap.secrets),
            "timeout": cap.timeout, "max_bytes": cap.max_bytes, "revoked": cap.revoked}


def _send_one(entry: dict, cap: dict | None, attempts: int, what: dict) -> dict:
    result = {"id": entry["id"], "attempts": attempts, "time": time.time(),
              "method": entry["method"], "target": entry["target"], "status": None,
              "bytes": 0, "seconds": 0.0, "capability": entry["capability"]}
    if cap is None or cap["revoked"] is not None:
        why = "no longer granted" if cap is None else "revoked"
        return {**result, "state": "failed", "error": f"not sent: the capability "
                f"{entry['capability']!r} was {why} before the write could be sent"}
    body = entry["body"].encode("utf-8") if entry.get("body") is not None else None
    headers = {**entry.get("headers", {}), **cap["secrets"], "Idempotency-Key": entry["id"]}
    if body is not None:
        headers["Content-Type"] = "application/json"
    redact = _redactor(cap["secrets"])
    try:
        response = client.fetch(cap["origin"], entry["method"], entry["target"], headers, body,
                                cap["timeout"], cap["max_bytes"])
    except client.RequestRefused as e:
        result.update(state="failed", error=redact(str(e)))
    else:
        text = response.body.decode("utf-8", "replace")
        result.update(status=response.status, bytes=len(response.body),
                      seconds=round(response.seconds, 4), answer=redact(text)[:100_000],
                      state="sent" if response.status < 400 else "failed")
        if response.status >= 400:
            from uvm.cognition.tools.door import server_message
            result["error"] = redact(f"HTTP {response.status} {response.reason}: "
                                     f"{server_message(response)}")
    result.update({k: v for k, v in what.items() if k in ("evaluation", "source")})
    if result["state"] == "sent":
        _tell(f"sent {entry['method']} {entry['target']} to {entry['capability']}: "
              f"{result['status']}")
    else:
        _warn(f"the write {entry['id']} ({entry['method']} {entry['target']} to "
              f"{entry['capability']}) failed after the commit: {result['error']}; it is kept "
              f"in the outbox (`uvm tools outbox`, retry with `uvm tools outbox --retry "
              f"{entry['id']}`)")
    return result


def _redactor(secret_values: dict):
    return lambda text: caps.redact(text, secret_values.values())


def record(image, calls: list[dict], sent: list[dict]) -> None:
    """One follow-up transaction: the writes' results, and every call in its log."""
    if not calls and not sent:
        return
    parts = [f"{c['method']} {c['target']} {c.get('status') or c.get('error', '')}"[:60]
             for c in calls + sent]
    with follow_up(image, "recorded: " + "; ".join(parts)) as root:
        reg = caps.registry(root)
        for result in sent:
            reg.results[result["id"]] = {k: v for k, v in result.items() if k != "id"}
        for entry in calls + [dict(r, write=r["id"], outcome=r["state"]) for r in sent]:
            cap = reg.capabilities.get(entry["capability"])
            if cap is None:
                continue  # granted in an evaluation that did not commit: it never existed
            key = int(entry["time"] * 1e9)
            while key in cap.log:
                key += 1
            cap.log[key] = {k: v for k, v in entry.items() if k not in ("answer", "id")}


def retry(image, wid: str) -> dict:
    """Send one outbox entry again (failed, or left 'sending' by a process that ended)."""
    reg = caps.registry(image.connection.root())
    entry = reg.outbox.get(wid) if reg is not None else None
    if entry is None:
        raise KeyError(wid)
    state = state_of(reg, wid)
    if state in ("sent", "dropped"):
        raise ValueError(f"the write {wid} was already {state}")
    image.tm.abort()
    sent = send_writes(image, [wid], {"source": f"uvm tools outbox --retry {wid}"})
    record(image, [], sent)
    image.tm.abort()  # see what the follow-ups recorded
    return sent[0] if sent else {}


def drop(image, wid: str) -> None:
    """Give up on an outbox entry: it is never sent; the log says it was dropped."""
    with follow_up(image, f"dropped the queued write {wid}") as root:
        reg = caps.registry(root)
        before = reg.results.get(wid) or {}
        reg.results[wid] = {**before, "state": "dropped", "dropped": time.time()}
    image.tm.abort()


def state_of(reg, wid: str) -> str:
    """pending (committed, no attempt recorded), sending (outcome unknown), sent,
    failed, dropped."""
    result = reg.results.get(wid)
    return "pending" if result is None else result.get("state", "pending")


def waiting(reg) -> list[dict]:
    """The outbox entries not sent (nor dropped), oldest first, with their state."""
    out = []
    for wid, entry in reg.outbox.items():
        state = state_of(reg, wid)
        if state not in ("sent", "dropped"):
            out.append({**entry, "state": state, **{k: v for k, v in (reg.results.get(wid) or {}).items()
                                                    if k in ("error", "attempts", "status")}})
    return out


def _tell(text: str) -> None:
    """A note for the person at a terminal (piped, a run's output stays the program's)."""
    from uvm.llm.progress import on_terminal
    if on_terminal():
        print(text, file=sys.stderr, flush=True)


def _warn(text: str) -> None:
    print(f"uvm: {text}", file=sys.stderr, flush=True)


def dumps_body(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
