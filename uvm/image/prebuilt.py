"""The core world, bootstrapped once and kept: a throw-away image starts from it.

Filing the core world in from its ``.uvm`` sources takes most of a ``uvm --memory -c``
run, and every such run (and every in-memory image of the test suite) used to do it again.
So the records of a freshly bootstrapped world are saved in the user's cache directory
(``$UVM_CACHE_DIR``, else ``$XDG_CACHE_HOME/uvm``, else ``~/.cache/uvm``, as for the model
cache) under a key made of everything that built them: the UVM and core-world versions,
the Python version, and the size and modification time of every core-world source
(uvm/stdlib, uvm/cognition) and of the runtime's, the syntax's and the bootstrap's source
files. When any of them changes, the key changes and the world is built (and saved) again.

An entry is written to a temporary file and renamed into place, so processes starting at
the same time never read half of one (they may each build it; the last rename wins, and
every entry for a key is as good as another). An entry that cannot be read is ignored and
rebuilt. Without a writable cache directory the world is simply built every time.
"""
from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile

FORMAT = 1
# what shapes the stored world: the core world's sources, and the code that files them in
_SOURCES = (("stdlib", (".uvm",)), ("cognition", (".uvm",)), ("runtime", (".py",)),
            ("syntax", (".py", ".lark")))


def cache_dir() -> str:
    root = os.environ.get("UVM_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "uvm")
    return os.path.join(root, "worlds")


def world_key(package: str | None = None) -> str:
    """What the prebuilt world depends on, as a hex digest: the versions, and the size and
    modification time of each core-world source, of the runtime, the syntax and the
    bootstrap under ``package`` (default: this uvm package). Stat, not read: this runs at
    every start of a throw-away image."""
    import uvm
    from uvm.image.bootstrap import CORE_VERSION
    package = package or os.path.dirname(os.path.abspath(uvm.__file__))
    h = hashlib.sha256(f"{FORMAT}|{uvm.__version__}|{CORE_VERSION}|{sys.version_info[:2]}"
                       .encode())
    files = [os.path.join(package, "image", "bootstrap.py")]
    for sub, kinds in _SOURCES:
        for folder, _, names in os.walk(os.path.join(package, sub)):
            files += [os.path.join(folder, n) for n in names if n.endswith(kinds)]
    for path in sorted(files):
        st = os.stat(path)
        h.update(f"\0{os.path.relpath(path, package)}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _entry(key: str) -> str:
    return os.path.join(cache_dir(), f"world-{key[:32]}.marshal")


def load(key: str) -> tuple[bytes, dict[bytes, bytes]] | None:
    """(tid, {oid: pickle}) of the prebuilt world for ``key``, or None."""
    try:
        with open(_entry(key), "rb") as f:
            fmt, stored_key, tid, records = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if fmt != FORMAT or stored_key != key or not isinstance(records, dict):
        return None
    return tid, records


def save(key: str, tid: bytes, records: dict[bytes, bytes]) -> None:
    """Keep a freshly bootstrapped world for ``key`` (silently not, where it cannot)."""
    folder = cache_dir()
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".world-", dir=folder)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as f:
            marshal.dump((FORMAT, key, tid, records), f)
        os.replace(tmp, _entry(key))
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(tmp)
