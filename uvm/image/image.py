"""The living image: a ZODB database holding the lobby and everything reachable from it.

Every evaluation -- a script file, a ``-c`` string, a REPL input -- is one transaction:
it commits when the code finishes and aborts on any uncaught error, so a failed
evaluation leaves no trace. After an abort the runtime's lookup caches are emptied too,
since they may remember slots the abort took away. On a shared image (ZEO, PostgreSQL)
an evaluation that loses a write conflict runs again, up to ``CONFLICT_RETRIES`` times;
its output is held back until it commits, so a retry never prints twice.
"""
from __future__ import annotations

import contextlib
import functools
import io
import random
import sys
import time
import traceback
import weakref

import transaction
import ZODB
from transaction.interfaces import DoomedTransaction
from ZODB.POSException import ConflictError, UndoError

import uvm
from uvm.image import history as hist
from uvm.image.bootstrap import CORE_VERSION, build_world, upgrade_world
from uvm.image.storage import ImageError, default_spec, describe, open_storage
from uvm.runtime import send
from uvm.runtime.compiler import check_inline_guards, compile_program, on_recompile
from uvm.runtime.errors import UvmError, as_uvm_error
from uvm.syntax import parse

__all__ = ["Image", "ImageError", "current_image", "open_image"]

RECURSION_LIMIT = 30_000  # Python frames; a UVM activation costs about one
CONFLICT_RETRIES = 20


class Image:
    """An open image. Use ``uvm.open(...)`` to get one; close it (or use ``with``)."""

    def __init__(self, db: ZODB.DB, spec: str | None, shared: bool = False, read_only: bool = False):
        self.db = db
        self.spec = spec
        self.path = spec              # the name tools show (None: in memory)
        self.shared = shared          # other processes may commit: conflicts are possible
        self.read_only = read_only
        self.tm = transaction.TransactionManager()
        self.connection = db.open(transaction_manager=self.tm)
        root = self.connection.root()
        if "lobby" not in root:
            if read_only:
                raise ImageError(f"{describe(spec)} holds no UVM world yet")
            self.tm.begin()
            root["lobby"] = build_world()
            root["uvm.version"] = uvm.__version__
            root["uvm.core_version"] = CORE_VERSION
            hist.record(self.tm.get(), "bootstrap the core world", "bootstrap")
            self.tm.commit()
        made_by = root.get("uvm.core_version", 1)
        if made_by > CORE_VERSION:
            raise ImageError(f"{describe(spec)} was made by a newer UVM (core world "
                             f"version {made_by}, this UVM knows {CORE_VERSION}); upgrade UVM "
                             f"to open it")
        self.lobby = root["lobby"]
        self.world = send.World(self.lobby)
        _images[id(self.world)] = self
        self._activate()
        if made_by < CORE_VERSION and not read_only:
            self._upgrade(root, made_by)

    def _upgrade(self, root, made_by: int) -> None:
        """An image made by an older release: file in what the core world gained since."""
        try:
            self.tm.begin()
            upgrade_world(self.lobby, made_by)
            root["uvm.core_version"] = CORE_VERSION
            root["uvm.version"] = uvm.__version__
            hist.record(self.tm.get(), f"upgrade the core world from version {made_by} "
                                       f"to {CORE_VERSION}", "upgrade")
            self.tm.commit()
        except Exception as exc:  # noqa: BLE001
            self._rolled_back()
            raise ImageError(f"cannot upgrade {describe(self.spec)} from core version "
                             f"{made_by}: {exc}") from None

    def _activate(self) -> None:
        if sys.getrecursionlimit() < RECURSION_LIMIT:
            sys.setrecursionlimit(RECURSION_LIMIT)
        send.activate(self.world)
        check_inline_guards()

    # --- evaluation --------------------------------------------------------------------------
    def eval(self, source: str, filename: str = "<input>", origin: str = "api",
             meta: dict | None = None):
        """Parse, compile and run ``source`` as one transaction; returns its value.

        ``origin`` (repl, script, -c, filein, ...) and ``meta`` are recorded in the
        transaction for ``history``. Raises ``UvmSyntaxError`` (nothing ran) or
        ``UvmError`` (the transaction was aborted, nothing of it stays)."""
        code = _compiled(source, filename)
        return self.run(lambda: code(self.lobby), source, origin, meta)

    def run(self, action, source: str, origin: str, meta: dict | None = None):
        """Run ``action()`` as one recorded transaction (retrying lost conflicts)."""
        if send.world is not self.world:
            self._activate()
        for attempt in range(CONFLICT_RETRIES + 1):
            out = io.StringIO() if self.shared else None
            send.forget_objects()  # the last transaction's end may have reloaded objects
            self.tm.begin()
            if self.shared:  # other clients' commits arrived with begin(): forget lookups
                send.invalidate_all()
            try:
                with contextlib.redirect_stdout(out) if out is not None else contextlib.nullcontext():
                    value = action()
                hist.record(self.tm.get(), source, origin, meta)
                self.tm.commit()
            except ConflictError:
                self._rolled_back()
                if attempt == CONFLICT_RETRIES:
                    raise UvmError(f"gave up after {CONFLICT_RETRIES} write conflicts with "
                                   "other clients of this image") from None
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            except BaseException as exc:
                self._rolled_back()
                if out is not None:
                    sys.stdout.write(out.getvalue())
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                err = UvmError("this evaluation was doomed (a thought in it failed), so nothing "
                               "of it was kept") if isinstance(exc, DoomedTransaction) \
                    else as_uvm_error(exc)
                err.debug_trace = "".join(traceback.format_exception(exc))
                raise err from None
            send.forget_objects()
            self.world.refresh()
            if out is not None:
                sys.stdout.write(out.getvalue())
            return value

    def _rolled_back(self) -> None:
        self.tm.abort()
        self.world.refresh()
        send.invalidate_all()

    def run_file(self, path: str, origin: str = "script"):
        with open(path, encoding="utf-8") as f:
            source = f.read()
        return self.eval(source, path, origin)

    def print_string(self, value) -> str:
        """A value's printString, evaluated read-only (the result is not committed)."""
        send.forget_objects()
        try:
            text = send.send(value, "printString")
        except Exception as exc:  # noqa: BLE001
            raise as_uvm_error(exc) from None
        finally:
            self.tm.abort()
            send.forget_objects()
        return text if isinstance(text, str) else str(text)

    # --- history -------------------------------------------------------------------------------
    def history(self, n: int = 20) -> list[hist.Evaluation]:
        """The last ``n`` committed evaluations, newest first."""
        try:
            return hist.history(self.db, n)
        except AttributeError:
            return []  # a storage without history (in memory)

    def undo(self, evaluation_id: str) -> hist.Evaluation:
        """Undo one committed evaluation (itself a new, recorded transaction)."""
        try:
            target = hist.find(self.db, evaluation_id)
        except hist.HistoryError as e:
            raise ImageError(str(e)) from None
        if target.origin == "bootstrap":
            raise ImageError("the core world's bootstrap cannot be undone")
        self.tm.begin()
        try:
            self.db.undo(target.undo_id, self.tm.get())
            hist.record(self.tm.get(), f"undo {target.id}", "undo")
            self.tm.commit()
        except UndoError as e:
            self._rolled_back()
            raise ImageError(f"cannot undo {target.id}: a later evaluation changed the same "
                             f"objects ({e}). Undo the later ones first (see `uvm history`)") from None
        except Exception:
            self._rolled_back()
            raise
        self._rolled_back()  # objects the undo changed are reloaded; caches forgotten
        return target

    def at(self, evaluation_id: str) -> "HistoricalView":
        """A read-only view of the image as it was right after that evaluation."""
        try:
            target = hist.find(self.db, evaluation_id)
        except hist.HistoryError as e:
            raise ImageError(str(e)) from None
        return HistoricalView(self, target)

    # --- life cycle ----------------------------------------------------------------------------
    def object_count(self) -> int:
        return len(self.db.storage)

    def close(self) -> None:
        if self.connection is not None:
            self.tm.abort()
            self.connection.close()
            self.db.close()
            self.connection = None
            if send.world is self.world:
                send.activate(None)

    def __enter__(self) -> "Image":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class HistoricalView:
    """The image as of an earlier evaluation: read its objects, evaluate read-only."""

    def __init__(self, image: Image, evaluation: hist.Evaluation):
        self.image = image
        self.evaluation = evaluation
        self.tm = transaction.TransactionManager()
        self.connection = image.db.open(transaction_manager=self.tm, at=evaluation.tid)
        self.lobby = self.connection.root()["lobby"]

    def eval(self, source: str, filename: str = "<then>"):
        """Run ``source`` with ``self`` = the old lobby; nothing can be committed."""
        code = compile_program(parse(source, filename))
        try:
            return code(self.lobby)
        except Exception as exc:  # noqa: BLE001
            raise as_uvm_error(exc) from None
        finally:
            self.tm.abort()
            send.invalidate_all()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> "HistoricalView":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_images: "weakref.WeakValueDictionary[int, Image]" = weakref.WeakValueDictionary()


def current_image() -> Image | None:
    """The open image whose world sends resolve in now, if any: how code that UVM code
    calls (a persona's inference, the router) finds the image it runs in."""
    image = _images.get(id(send.world)) if send.world is not None else None
    return image if image is not None and image.world is send.world else None


@functools.lru_cache(maxsize=256)
def _compiled(source: str, filename: str):
    """Parsing and compiling cost more than a tiny evaluation's commit: programs that are
    evaluated again (a client's loop, a repeated REPL input) reuse their code."""
    return compile_program(parse(source, filename))


on_recompile.append(_compiled.cache_clear)


def open_image(spec: str | None = None, memory: bool = False, read_only: bool = False) -> Image:
    """Open (creating and bootstrapping on first use) the image ``spec``: a file path
    (default ``$UVM_IMAGE`` or ``./live_image.fs``), ``zeo://HOST:PORT`` or
    ``postgresql://...``; or a throw-away in-memory image."""
    spec = None if memory else (spec or default_spec())
    storage = open_storage(spec, read_only=read_only)
    try:
        db = ZODB.DB(storage)
    except Exception as exc:  # noqa: BLE001
        storage.close()
        raise ImageError(f"cannot open {describe(spec)}: {type(exc).__name__}: {exc}") from None
    shared = spec is not None and spec.startswith(("zeo://", "postgresql://", "postgres://"))
    try:
        return Image(db, spec, shared=shared, read_only=read_only)
    except BaseException:
        db.close()
        raise
