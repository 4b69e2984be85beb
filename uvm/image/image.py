"""The living image: a ZODB database holding the lobby and everything reachable from it.

Every evaluation -- a script file, a ``-c`` string, a REPL input -- is one transaction:
it commits when the code finishes and aborts on any uncaught error, so a failed
evaluation leaves no trace. After an abort the runtime's lookup caches are emptied too,
since they may remember slots the abort took away. On a shared image (ZEO, PostgreSQL)
an evaluation that loses a write conflict runs again, up to ``CONFLICT_RETRIES`` times;
its output is held back until it commits, so a retry never prints twice. A commit that
fails after its second phase began may have committed: it is reported as such and never
run again (``faults.CommitWatch``).

A new image file is made whole in a temporary file beside it and then linked into place,
so a file that exists is never bootstrapped over: an empty or damaged one is refused.
"""
from __future__ import annotations

import contextlib
import functools
import io
import os
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
from uvm.image import faults, prebuilt
from uvm.image import history as hist
from uvm.image import reaudit
from uvm.image.bootstrap import CORE_VERSION, build_world, upgrade_world
from uvm.image.storage import (ImageError, blob_dir_for, default_spec, describe,
                               file_storage_class, is_file_spec, open_storage, run_uses_memory)
from uvm.runtime import send, stack
from uvm.runtime.compiler import check_inline_guards, compile_program, on_recompile
from uvm.runtime.errors import UvmError, as_uvm_error
from uvm.runtime.printing import print_string
from uvm.syntax import parse
from uvm.syntax.source import check_text, read_source

__all__ = ["CommitOutcomeUnknown", "Image", "ImageError", "current_image", "open_image"]

CONFLICT_RETRIES = 20
DEBUG_FRAMES = 400  # Python frames a --debug traceback shows (the innermost)
# UVM decides what a big object is: ZODB's warning about records over 16 MB would only
# reach the user as a host warning on standard error.
LARGE_RECORD = 1 << 62


class CommitOutcomeUnknown(UvmError):
    """The commit failed after its second phase began: it may have committed."""


class Image:
    """An open image. Use ``uvm.open(...)`` to get one; close it (or use ``with``)."""

    def __init__(self, db: ZODB.DB, spec: str | None, shared: bool = False,
                 read_only: bool = False, bootstrap: bool = False):
        self.db = db
        self.spec = spec
        self.path = spec              # the name tools show (None: in memory)
        self.shared = shared          # other processes may commit: conflicts are possible
        self.read_only = read_only
        self.disabled_methods: list = []  # model-written methods the re-audit disabled
        self.tm = transaction.TransactionManager()
        self.connection = db.open(transaction_manager=self.tm)
        root = self.connection.root()
        if "lobby" not in root:
            if read_only or not bootstrap:
                raise ImageError(f"{describe(spec)} holds no UVM world: it is another "
                                 "program's ZODB database, or it is damaged (it was not "
                                 "changed; restore it from a copy)")
            self.tm.begin()
            root["lobby"] = build_world()
            root["uvm.version"] = uvm.__version__
            root["uvm.core_version"] = CORE_VERSION
            root[reaudit.POLICY_KEY] = reaudit.confinement.POLICY  # no model-written methods yet
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
        if not read_only and reaudit.needs_reaudit(root):
            self.disabled_methods = reaudit.reaudit(self, root)

    def _upgrade(self, root, made_by: int) -> None:
        """An image made by an older release: file in what the core world gained since."""
        try:
            self.tm.begin()
            upgrade_world(self.lobby, made_by)
            if reaudit.needs_reaudit(root):
                self.disabled_methods = reaudit.audit_methods(self.lobby, root)
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
        stack.configure()  # the recursion limit this thread's stack can hold
        send.activate(self.world)
        check_inline_guards()

    # --- evaluation --------------------------------------------------------------------------
    def eval(self, source: str, filename: str = "<input>", origin: str = "api",
             meta: dict | None = None, names: dict | None = None):
        """Parse, compile and run ``source`` as one transaction; returns its value.

        ``origin`` (repl, script, -c, filein, ...) and ``meta`` are recorded in the
        transaction for ``history``; ``names`` are read-only variables the source can use
        (name -> value). Raises ``UvmSyntaxError`` (nothing ran) or ``UvmError`` (the
        transaction was aborted, nothing of it stays)."""
        bound = tuple(names or ())
        code = _compiled(check_text(source, filename), filename, bound)
        values = [names[n] for n in bound]
        return self.run(lambda: code(self.lobby, *values), source, origin, meta)

    def run(self, action, source: str, origin: str, meta: dict | None = None):
        """Run ``action()`` as one recorded transaction (retrying lost conflicts)."""
        if send.world is not self.world:
            self._activate()
        stack.configure()  # cheap unless this thread is not the one configured last
        for attempt in range(CONFLICT_RETRIES + 1):
            out = io.StringIO() if self.shared else None
            send.forget_objects()  # the last transaction's end may have reloaded objects
            self.tm.begin()
            watch = faults.CommitWatch()
            self.tm.get().join(watch)
            if self.shared:  # other clients' commits arrived with begin(): forget lookups
                send.invalidate_all()
            try:
                with contextlib.redirect_stdout(out) if out is not None else contextlib.nullcontext():
                    value = action()
                hist.record(self.tm.get(), source, origin, meta)
                watch.committing = True
                self.tm.commit()
            except ConflictError as exc:
                self._rolled_back()
                if watch.finishing:  # never run again what may have committed
                    raise CommitOutcomeUnknown(faults.outcome_unknown(exc)) from None
                if attempt == CONFLICT_RETRIES:
                    raise UvmError(f"gave up after {CONFLICT_RETRIES} write conflicts with "
                                   "other clients of this image") from None
                time.sleep(random.uniform(0, 0.01 * (attempt + 1)))
                continue
            except BaseException as exc:
                with contextlib.suppress(Exception):  # a storage that went away may not abort
                    self._rolled_back()
                if out is not None:
                    sys.stdout.write(out.getvalue())
                if watch.finishing:
                    err = CommitOutcomeUnknown(faults.outcome_unknown(exc))
                elif isinstance(exc, (KeyboardInterrupt, SystemExit)) or _stdout_closed(exc):
                    raise
                elif watch.committing and isinstance(exc, OSError):
                    err = UvmError(f"cannot write to {describe(self.spec)}: "
                                   f"{exc.strerror or exc}; nothing of this evaluation was "
                                   "committed")
                elif isinstance(exc, DoomedTransaction):
                    err = UvmError("this evaluation was doomed (a thought in it failed), so "
                                   "nothing of it was kept")
                else:
                    err = self._as_error(exc)
                # (the innermost frames: a stack overflow's traceback is 100,000 long)
                err.debug_trace = "".join(traceback.format_exception(exc, limit=-DEBUG_FRAMES))
                raise err from None
            send.forget_objects()
            self.world.refresh()
            if out is not None:
                sys.stdout.write(out.getvalue())
            return value

    def _as_error(self, exc: BaseException) -> UvmError:
        """The UVM error for ``exc``: the image's own failure in words, else the program's."""
        message = faults.describe(exc, self.db, self.spec)
        if message is None:
            return as_uvm_error(exc)
        err = UvmError(message)
        err.frames = as_uvm_error(exc).frames
        return err

    def _rolled_back(self) -> None:
        self.tm.abort()
        self.world.refresh()
        send.invalidate_all()

    def run_file(self, path: str, origin: str = "script"):
        """Run a source file (UTF-8) as one evaluation; ``OSError`` if it cannot be read."""
        return self.eval(read_source(path), path, origin)

    def print_string(self, value) -> str:
        """A value's printString, evaluated read-only (the result is not committed)."""
        send.forget_objects()
        try:
            return print_string(value)
        except Exception as exc:  # noqa: BLE001
            raise self._as_error(exc) from None
        finally:
            self.tm.abort()
            send.forget_objects()

    # --- history -------------------------------------------------------------------------------
    def history(self, n: int = 20) -> list[hist.Evaluation]:
        """The last ``n`` committed evaluations, newest first."""
        try:
            return hist.history(self.db, n)
        except AttributeError:
            return []  # a storage without history (in memory)

    def undo(self, evaluation_id: str, origin: str = "undo") -> hist.Evaluation:
        """Undo one committed evaluation (itself a new, recorded transaction; ``origin``
        "redo" when the evaluation undone was an undo)."""
        try:
            target = hist.find(self.db, evaluation_id)
        except hist.HistoryError as e:
            raise ImageError(str(e)) from None
        if target.origin == "bootstrap":
            raise ImageError("the core world's bootstrap cannot be undone")
        self.tm.begin()
        try:
            self.db.undo(target.undo_id, self.tm.get())
            hist.record(self.tm.get(), f"{origin} {target.id}", origin)
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
def _compiled(source: str, filename: str, names: tuple = ()):
    """Parsing and compiling cost more than a tiny evaluation's commit: programs that are
    evaluated again (a client's loop, a repeated REPL input) reuse their code."""
    return compile_program(parse(source, filename), names=names)


on_recompile.append(_compiled.cache_clear)


def open_image(spec: str | None = None, memory: bool = False, read_only: bool = False) -> Image:
    """Open (creating and bootstrapping on first use) the image ``spec``: a file path
    (default ``$UVM_IMAGE`` or ``./live_image.fs``), ``zeo://HOST:PORT`` or
    ``postgresql://...``; or a throw-away in-memory image."""
    if spec is None and not memory and run_uses_memory():
        memory = True
    spec = None if memory else (spec or default_spec())
    read_only = read_only and spec is not None  # a throw-away image is made, then read
    if spec is None:
        return _open_memory()
    if is_file_spec(spec) and not read_only and not os.path.lexists(spec):
        _create_file_image(spec)
    # a file image is only ever bootstrapped by _create_file_image; a server's one is
    # bootstrapped here when it holds nothing yet
    return _open(spec, read_only, bootstrap=not is_file_spec(spec))


def _open_memory() -> Image:
    """A throw-away image, started from the prebuilt core world (built and kept first
    when there is none for this UVM)."""
    key = prebuilt.world_key()
    world = prebuilt.load(key)
    image = _open(None, False, bootstrap=True, world=world)
    if world is None:
        prebuilt.save(key, *image.db.storage.current_records())
    return image


def _open(spec: str | None, read_only: bool, bootstrap: bool, world=None) -> Image:
    storage = open_storage(spec, read_only=read_only, world=world)
    try:
        db = ZODB.DB(storage, large_record_size=LARGE_RECORD)
    except Exception as exc:  # noqa: BLE001
        with contextlib.suppress(Exception):
            storage.close()
        raise ImageError(_cannot_open(exc, None, spec)) from None
    shared = spec is not None and not is_file_spec(spec)
    try:
        return Image(db, spec, shared=shared, read_only=read_only, bootstrap=bootstrap)
    except ImageError:
        db.close()
        raise
    except Exception as exc:  # noqa: BLE001 -- a server gone, a damaged root: in words
        message = _cannot_open(exc, db, spec)
        with contextlib.suppress(Exception):
            db.close()
        raise ImageError(message) from None
    except BaseException:
        db.close()
        raise


def _cannot_open(exc: Exception, db, spec: str | None) -> str:
    """Why an image that passed the storage's own checks still did not open."""
    message = faults.describe(exc, db, spec) or (
        f"it is damaged ({type(exc).__name__}: {exc}). The file was not changed; restore it "
        "from a copy" if is_file_spec(spec) else f"{type(exc).__name__}: {exc}")
    return f"cannot open {describe(spec)}: {message}"


def _create_file_image(path: str) -> None:
    """Make a new image file at ``path``: bootstrap it in a temporary file beside it, then
    link that into place. A crash leaves no half-made image, and of processes making the
    same image at once one wins and the others open its file."""
    import shutil
    tmp = f"{path}.new-{os.getpid()}"
    try:
        FileStorage = file_storage_class()
        # a blob directory of its own: closing a storage removes that directory's temporary
        # files, which another process making the same image may be using
        storage = FileStorage(tmp, blob_dir=tmp + ".blobs", create=True)
        Image(ZODB.DB(storage, large_record_size=LARGE_RECORD), path, bootstrap=True).close()
        os.makedirs(blob_dir_for(path), exist_ok=True)   # before the image appears
        try:
            os.link(tmp, path)         # fails if another process made it first
        except FileExistsError:
            return
        except OSError:                # a file system without hard links
            if os.path.lexists(path):
                return
            os.replace(tmp, path)
        with contextlib.suppress(OSError):
            os.replace(tmp + ".index", path + ".index")
    except OSError as e:
        raise ImageError(f"cannot create the image {path}: {e.strerror or e}") from None
    finally:
        for leftover in (tmp, tmp + ".index", tmp + ".lock", tmp + ".tmp"):
            with contextlib.suppress(OSError):
                os.remove(leftover)
        shutil.rmtree(tmp + ".blobs", ignore_errors=True)


def _stdout_closed(exc: BaseException) -> bool:
    """Standard output is a pipe whose reader went away (``uvm ... | head -1``): the run
    ends quietly, like a Python tool, instead of reporting it as the program's error. (A
    broken pipe of the program's own, through ``python``, stays the program's error.)"""
    if not isinstance(exc, BrokenPipeError):
        return False
    import select
    try:
        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no file descriptor, no poll
        return True
