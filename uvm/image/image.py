"""The living image: a ZODB database holding the lobby and everything reachable from it.

Every evaluation -- a script file, a ``-c`` string, a REPL input -- is one transaction:
it commits when the code finishes and aborts on any uncaught error, so a failed
evaluation leaves no trace. After an abort the runtime's lookup caches are emptied too,
since they may remember slots the abort took away.
"""
from __future__ import annotations

import os
import sys
import traceback

import transaction
import ZODB
from ZODB.FileStorage import FileStorage

import uvm
from uvm.image.bootstrap import CORE_VERSION, build_world
from uvm.runtime import send
from uvm.runtime.compiler import check_inline_guards, compile_program
from uvm.runtime.errors import UvmError, as_uvm_error
from uvm.syntax import parse

DEFAULT_IMAGE = "live_image.fs"
RECURSION_LIMIT = 30_000  # Python frames; a UVM activation costs about one


class ImageError(Exception):
    """The image cannot be opened or used (locked, corrupt, missing)."""


def default_path() -> str:
    return os.environ.get("UVM_IMAGE") or DEFAULT_IMAGE


def blob_dir_for(path: str) -> str:
    base = path[:-3] if path.endswith(".fs") else path
    return base + ".blobs"


def _open_storage(path: str):
    try:
        return FileStorage(path, blob_dir=blob_dir_for(path))
    except Exception as exc:  # noqa: BLE001 -- each failure becomes a clear message
        from zc.lockfile import LockError
        if isinstance(exc, LockError):
            raise ImageError(f"the image {path} is in use by another process "
                             "(close that process, or pass --image to use another image)") from None
        raise ImageError(f"cannot open the image {path}: {type(exc).__name__}: {exc}") from None


class Image:
    """An open image. Use ``uvm.open(...)`` to get one; close it (or use ``with``)."""

    def __init__(self, db: ZODB.DB, path: str | None):
        self.db = db
        self.path = path
        self.tm = transaction.TransactionManager()
        self.connection = db.open(transaction_manager=self.tm)
        root = self.connection.root()
        if "lobby" not in root:
            self.tm.begin()
            root["lobby"] = build_world()
            root["uvm.version"] = uvm.__version__
            root["uvm.core_version"] = CORE_VERSION
            self.tm.get().note("bootstrap the core world")
            self.tm.commit()
        self.lobby = root["lobby"]
        self.world = send.World(self.lobby)
        self._activate()

    def _activate(self) -> None:
        if sys.getrecursionlimit() < RECURSION_LIMIT:
            sys.setrecursionlimit(RECURSION_LIMIT)
        send.activate(self.world)
        check_inline_guards()

    # --- evaluation --------------------------------------------------------------------------
    def eval(self, source: str, filename: str = "<input>"):
        """Parse, compile and run ``source`` as one transaction; returns its value.

        Raises ``UvmSyntaxError`` (nothing ran) or ``UvmError`` (the transaction was
        aborted, nothing of it stays)."""
        program = parse(source, filename)
        if send.world is not self.world:
            self._activate()
        send.forget_objects()  # the last transaction's end may have reloaded objects
        self.tm.begin()
        try:
            value = compile_program(program)(self.lobby)
            self.tm.get().note(f"{filename}: {source[:200]}")
            self.tm.commit()
            send.forget_objects()
        except BaseException as exc:
            self.tm.abort()
            send.forget_objects()
            self.world.refresh()
            send.invalidate_all()
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            err = as_uvm_error(exc)
            err.debug_trace = "".join(traceback.format_exception(exc))
            raise err from None
        self.world.refresh()
        return value

    def run_file(self, path: str):
        with open(path, encoding="utf-8") as f:
            source = f.read()
        return self.eval(source, path)

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

    # --- life cycle ----------------------------------------------------------------------------
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


def open_image(path: str | None = None, memory: bool = False) -> Image:
    """Open (creating and bootstrapping on first use) the image at ``path``
    (default ``$UVM_IMAGE`` or ``./live_image.fs``), or a throw-away in-memory image."""
    if memory:
        return Image(ZODB.DB(None), None)
    path = path or default_path()
    storage = _open_storage(path)
    try:
        db = ZODB.DB(storage)
    except Exception as exc:  # noqa: BLE001
        storage.close()
        raise ImageError(f"cannot open the image {path}: {type(exc).__name__}: {exc}") from None
    try:
        return Image(db, path)
    except UvmError:
        db.close()
        raise
