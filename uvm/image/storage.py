"""Where an image lives: a FileStorage file, a ZEO server, PostgreSQL (RelStorage) or
memory. ``open_storage`` turns the ``--image`` spelling into a ZODB storage, and every way
that can fail into an ``ImageError`` with a message that says what to do."""
from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile

DEFAULT_IMAGE = "live_image.fs"


class ImageError(Exception):
    """The image cannot be opened or used (locked, corrupt, unreachable)."""


# The image the command line named before a subcommand (``uvm --image X history``): the
# default of every image this process opens without naming one. (spec, memory) or None.
_run_image: tuple[str | None, bool] | None = None


def use_for_run(spec: str | None, memory: bool = False) -> None:
    """Make ``spec`` (or, with ``memory``, a throw-away in-memory image) this process's
    default image, ahead of ``$UVM_IMAGE``."""
    global _run_image
    _run_image = (None, True) if memory else (spec, False) if spec else None


def run_uses_memory() -> bool:
    return _run_image is not None and _run_image[1]


def run_image() -> tuple[str | None, bool]:
    """(spec, memory) as the command line gave them before a subcommand ((None, False):
    it named none)."""
    return _run_image or (None, False)


def default_spec() -> str:
    if _run_image is not None and _run_image[0]:
        return _run_image[0]
    return os.environ.get("UVM_IMAGE") or DEFAULT_IMAGE


def is_file_spec(spec: str | None) -> bool:
    return spec is not None and not spec.startswith(("zeo://", "postgresql://", "postgres://"))


def blob_dir_for(path: str) -> str:
    """``live_image.fs`` keeps its blobs in ``live_image.blobs`` beside it."""
    base = path[:-3] if path.endswith(".fs") else path
    return base + ".blobs"


def describe(spec: str | None) -> str:
    return spec or "in-memory image"


def open_storage(spec: str | None, read_only: bool = False, world=None):
    """A ZODB storage for ``spec`` (None: in memory, starting from ``world``, the
    (tid, records) of a prebuilt core world, if given)."""
    if spec is None:
        return _memory_storage(world)
    if spec.startswith("zeo://"):
        return _zeo_storage(spec, read_only)
    if spec.startswith(("postgresql://", "postgres://")):
        return _relstorage(spec, read_only)
    return _file_storage(spec, read_only)


def _memory_storage(world):
    from ZODB.blob import BlobStorage

    from uvm.image.memory import MemoryStorage
    tid, records = world or (None, None)
    blobs = tempfile.mkdtemp(prefix="uvm-memory-blobs-", dir=_temporary_root())
    storage = BlobStorage(blobs, MemoryStorage(records, tid) if world else MemoryStorage())
    close = storage.close

    def close_and_clean():  # a throw-away image leaves nothing behind
        close()
        shutil.rmtree(blobs, ignore_errors=True)
    storage.close = close_and_clean
    return storage


@functools.cache
def file_storage_class():
    """ZODB's FileStorage, except that an index it cannot save does not stop it."""
    from ZODB.FileStorage import FileStorage

    class ImageFileStorage(FileStorage):
        """The ``.index`` file is a cache of the image file, rebuilt when missing: when it
        cannot be written (a full disk) the image still opens, and the next open scans."""

        _index_unsaved = False

        def _save_index(self):
            try:
                super()._save_index()
            except OSError as e:
                if self._index_unsaved:
                    return
                self._index_unsaved = True
                logging.getLogger(__name__).warning(
                    "cannot save the index of %s (%s); the next open reads the whole file",
                    self._file_name, e.strerror or e)
    return ImageFileStorage


def _temporary_root() -> str | None:
    """``$TMPDIR`` or /tmp when it is a folder: ``tempfile`` finds it by writing a probe
    file there, which costs a throw-away image's start-up more than all its storage."""
    for folder in (tempfile.tempdir, os.environ.get("TMPDIR"), "/tmp"):
        if folder and os.path.isdir(folder) and os.access(folder, os.W_OK):
            return folder
    return None


def _file_storage(path: str, read_only: bool):
    from zc.lockfile import LockError
    FileStorage = file_storage_class()
    if os.path.isdir(path):
        raise ImageError(f"cannot open the image {path}: it is a directory, not an image "
                         "file")
    exists = os.path.exists(path)
    if not exists:  # open_image creates a new image before it opens it
        raise ImageError(f"there is no image at {path}")
    _check_file_header(path)
    blobs = blob_dir_for(path)
    if not os.path.isdir(blobs):
        raise ImageError(f"the image {path} has lost its blob directory {blobs}; restore it "
                         f"(or create an empty one with `mkdir {blobs}` if the image never "
                         "stored blobs)")
    try:
        return FileStorage(path, blob_dir=blobs, read_only=read_only)
    except LockError:
        raise ImageError(
            f"the image {path} is open in another process. Close that process, or serve "
            f"the image with `uvm serve --image {path}` and use --image zeo://HOST:PORT "
            "everywhere (read-only commands such as `uvm history` work meanwhile)") from None
    except Exception as exc:  # noqa: BLE001 -- every failure becomes a clear message
        raise ImageError(f"cannot open the image {path}: {type(exc).__name__}: {exc}") from None


def _check_file_header(path: str) -> None:
    """Refuse a damaged file before FileStorage "repairs" it by truncating.

    FileStorage drops an incomplete transaction at the end of the file when it opens it
    for writing. That is right after a crash during a commit -- the transaction's header
    still says 'c' (checkpoint), it never committed -- and wrong for a file that lost
    committed data (cut short by a copy or a full disk): then we refuse and leave the file
    exactly as it is."""
    import struct

    from ZODB.FileStorage import FileStorage, packed_version
    from ZODB.FileStorage.format import TRANS_HDR, TRANS_HDR_LEN
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise ImageError(f"cannot read the image {path}: {e.strerror}") from None
    if len(magic) < 4 or os.path.getsize(path) <= len(packed_version):
        raise ImageError(f"cannot open the image {path}: it is empty ({os.path.getsize(path)} "
                         "bytes, no committed data). The file was not changed; if making it "
                         "was interrupted, delete it to start a new image, else restore it "
                         "from a copy")
    if magic not in (packed_version, b"FS21"):
        raise ImageError(f"cannot open the image {path}: it is not a UVM image "
                         "(not a ZODB FileStorage file)")
    try:
        probe = FileStorage(path, read_only=True)
    except Exception as exc:  # noqa: BLE001
        raise ImageError(f"cannot open the image {path}: it is damaged ({type(exc).__name__}: {exc})") from None
    end = probe._pos
    probe.close()
    size = os.path.getsize(path)
    if end <= len(packed_version):
        raise ImageError(f"cannot open the image {path}: it holds no committed data. The file "
                         "was not changed; if making it was interrupted, delete it to start a "
                         "new image, else restore it from a copy")
    if end >= size:
        _check_last_timestamp(path, end)
        return
    with open(path, "rb") as f:
        f.seek(end)
        header = f.read(TRANS_HDR_LEN)
    if len(header) == TRANS_HDR_LEN and struct.unpack(TRANS_HDR, header)[2] == b"c":
        return  # a commit interrupted by a crash: FileStorage drops it, nothing is lost
    raise ImageError(f"cannot open the image {path}: it is truncated or damaged after byte "
                     f"{end} of {size} (committed data is missing). The file was not changed; "
                     "restore it from a copy")


def _check_last_timestamp(path: str, end: int) -> None:
    """Refuse a last transaction whose id went back in time.

    FileStorage only logs "time-stamp reduction" and then serves the world as of that
    earlier id, so a flipped byte in the header would silently hide committed evaluations.
    Each transaction ends with its length, so the last two headers are found from the end."""
    import struct

    from ZODB.FileStorage import packed_version
    from ZODB.FileStorage.format import TRANS_HDR, TRANS_HDR_LEN
    with open(path, "rb") as f:
        f.seek(end - 8)
        last = end - 8 - struct.unpack(">Q", f.read(8))[0]
        if last - 8 < len(packed_version):
            return                      # only one transaction: nothing to compare
        f.seek(last - 8)
        previous = last - 8 - struct.unpack(">Q", f.read(8))[0]
        if previous < len(packed_version):
            return
        f.seek(previous)
        previous_tid = struct.unpack(TRANS_HDR, f.read(TRANS_HDR_LEN))[0]
        f.seek(last)
        last_tid = struct.unpack(TRANS_HDR, f.read(TRANS_HDR_LEN))[0]
    if last_tid <= previous_tid:
        raise ImageError(f"cannot open the image {path}: it is damaged (the last transaction, "
                         f"at byte {last}, is dated before the one it follows). The file was "
                         "not changed; restore it from a copy")


def _zeo_storage(spec: str, read_only: bool):
    from ZEO.ClientStorage import ClientStorage
    address = spec[len("zeo://"):].rstrip("/")
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ImageError(f"{spec}: expected zeo://HOST:PORT")
    cache = os.path.join(tempfile.gettempdir(), f"uvm-zeo-blobs-{os.getpid()}")
    try:
        return ClientStorage((host, int(port)), blob_dir=cache, shared_blob_dir=False,
                             read_only=read_only, wait_timeout=10)
    except Exception as exc:  # noqa: BLE001
        raise ImageError(f"cannot reach the ZEO server at {address}: {exc} "
                         f"(start one with `uvm serve --image FILE --address {address}`)") from None


def _relstorage(spec: str, read_only: bool):
    try:
        from relstorage.adapters.postgresql import PostgreSQLAdapter
        from relstorage.options import Options
        from relstorage.storage import RelStorage
    except ImportError:
        raise ImageError("PostgreSQL images need RelStorage: pip install 'uvm[postgresql]'") from None
    blobs = os.path.join(tempfile.gettempdir(), f"uvm-pg-blobs-{os.getpid()}")
    options = Options(keep_history=True, blob_dir=blobs, shared_blob_dir=False,
                      read_only=read_only)
    try:
        adapter = PostgreSQLAdapter(dsn=_libpq_dsn(spec), options=options)
        return RelStorage(adapter, options=options)
    except Exception as exc:  # noqa: BLE001
        raise ImageError(f"cannot open the PostgreSQL image {spec}: {type(exc).__name__}: {exc}") from None


def _libpq_dsn(url: str) -> str:
    """``postgresql://user:pw@host:port/db?k=v`` as ``key=value`` pairs: RelStorage appends
    its own parameters to the string, which only that form allows."""
    from urllib.parse import parse_qsl, unquote, urlsplit
    u = urlsplit(url)
    parts = {"host": u.hostname, "port": u.port, "user": unquote(u.username or "") or None,
             "password": unquote(u.password or "") or None, "dbname": u.path.lstrip("/") or None}
    parts.update(parse_qsl(u.query))
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v not in (None, ""))
