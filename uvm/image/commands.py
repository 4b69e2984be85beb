"""The image subcommands of ``uvm``: history, undo, fileout, filein, serve, pack.

Each takes its own arguments and returns an exit status (0 ok, 1 failed, 2 bad usage).
Read-only commands open the image read-only, so they work while a REPL holds it."""
from __future__ import annotations

import argparse
import datetime
import sys

from uvm.image.storage import ImageError


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"uvm {prog}", description=description)
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    return p


def _fail(message: str) -> int:
    print(f"uvm: {message}", file=sys.stderr)
    return 1


def _open(spec, read_only=False):
    from uvm.image.image import open_image
    return open_image(spec, read_only=read_only)


def history_command(argv: list[str]) -> int:
    p = _parser("history", "List recent evaluations of the image, newest first.")
    p.add_argument("-n", type=int, default=20, help="how many (default 20)")
    opts = p.parse_args(argv)
    try:
        with _open(opts.image, read_only=True) as image:
            rows = image.history(opts.n)
    except ImageError as e:
        return _fail(str(e))
    for e in rows:
        when = datetime.datetime.fromtimestamp(e.time).strftime("%Y-%m-%d %H:%M:%S")
        first = e.source.strip().splitlines()[0] if e.source.strip() else ""
        tries = f"{e.attempts} attempt{'' if e.attempts == 1 else 's'}"
        model = f" [model {e.model}, {tries}]" if e.model else ""
        print(f"{e.id}  {when}  {e.origin:9} {first[:70]}{model}")
    return 0


def undo_command(argv: list[str]) -> int:
    p = _parser("undo", "Undo one committed evaluation (see uvm history for ids).")
    p.add_argument("id", help="the evaluation's id, or a unique prefix of it")
    opts = p.parse_args(argv)
    try:
        with _open(opts.image) as image:
            undone = image.undo(opts.id)
    except ImageError as e:
        return _fail(str(e))
    print(f"undid {undone.id} ({undone.origin}: {undone.source.strip().splitlines()[0][:60] if undone.source.strip() else ''})")
    return 0


def fileout_command(argv: list[str]) -> int:
    p = _parser("fileout", "Write an object as readable UVM source.")
    p.add_argument("path", nargs="+", help="the object's path of slots from the lobby, e.g. "
                                           "bank, traits integer or traits.integer")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")
    opts = p.parse_args(argv)
    from uvm.image.fileout import FileOutError, file_out
    try:
        with _open(opts.image, read_only=True) as image:
            text = file_out(image.lobby, " ".join(opts.path), image.spec or "")
    except (ImageError, FileOutError) as e:
        return _fail(str(e))
    if opts.output:
        with open(opts.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def filein_command(argv: list[str]) -> int:
    p = _parser("filein", "Read UVM source into the image, as one transaction.")
    p.add_argument("file")
    opts = p.parse_args(argv)
    from uvm.runtime.errors import UvmError, format_error
    from uvm.syntax import UvmSyntaxError
    try:
        with _open(opts.image) as image:
            image.run_file(opts.file, origin="filein")
    except ImageError as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"cannot read {opts.file}: {e.strerror}")
    except UvmSyntaxError as e:
        print(e.pretty(), file=sys.stderr)
        return 1
    except UvmError as e:
        print(format_error(e) + "\n(nothing was filed in)", file=sys.stderr)
        return 1
    return 0


def serve_command(argv: list[str]) -> int:
    p = _parser("serve", "Serve the image to other processes and machines over ZEO.")
    p.add_argument("--address", default="127.0.0.1:8100", help="HOST:PORT to listen on")
    opts = p.parse_args(argv)
    from uvm.image.serve import serve
    try:
        return serve(opts.image, opts.address)
    except ImageError as e:
        return _fail(str(e))


def pack_command(argv: list[str]) -> int:
    p = _parser("pack", "Pack the image: drop history older than N days and unreachable objects.")
    p.add_argument("--days", type=float, default=0, help="keep this many days of history (default 0)")
    opts = p.parse_args(argv)
    import time
    try:
        with _open(opts.image) as image:
            before = image.db.getSize()
            image.db.pack(time.time() - opts.days * 86400)
            after = image.db.getSize()
    except ImageError as e:
        return _fail(str(e))
    print(f"packed: {before:,} -> {after:,} bytes")
    return 0
