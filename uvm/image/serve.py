"""``uvm serve``: a ZEO server on an image file, so many processes and machines share it
(they open ``--image zeo://HOST:PORT``)."""
from __future__ import annotations

import signal
import sys

from uvm.image.storage import ImageError, default_spec, open_storage, run_uses_memory


def serve(spec: str | None, address: str) -> int:
    from ZEO.StorageServer import StorageServer

    from uvm.image.image import open_image
    spec = spec or default_spec()
    if run_uses_memory() and spec == default_spec() or \
            spec.startswith(("zeo://", "postgresql://", "postgres://")):
        raise ImageError("uvm serve serves an image file; give --image PATH")
    host, _, port = address.rpartition(":")
    if not port.isdigit():
        raise ImageError(f"--address {address}: expected HOST:PORT")
    open_image(spec).close()  # create and bootstrap it first if it is new
    storage = open_storage(spec)
    try:
        server = StorageServer((host or "127.0.0.1", int(port)), {"1": storage})
    except OSError as e:
        storage.close()
        raise ImageError(f"cannot listen on {address}: {e.strerror}") from None

    def stop(*_):
        server.close()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"serving {spec} on {host or '127.0.0.1'}:{server.addr[1]} (Ctrl-C stops)", flush=True)
    try:
        server.loop()
    finally:
        storage.close()
    print("stopped", file=sys.stderr)
    return 0
