"""``python -m uvm.syntax --check FILE...``: parse only; exit 0, or 1 with the syntax error.

The peer runners in ``../shared/peer`` call this (or ``uvm --check``) once per file.
"""
from __future__ import annotations

import argparse
import sys

from . import UvmSyntaxError, parse


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m uvm.syntax", description=__doc__)
    ap.add_argument("--check", metavar="FILE", nargs="+", required=True,
                    help="parse FILE(s) and report the first syntax error")
    args = ap.parse_args(argv)
    status = 0
    for path in args.check:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as f:
                source = f.read()
        except OSError as err:
            print(f"{path}: cannot read: {err.strerror}", file=sys.stderr)
            return 2
        try:
            parse(source, path)
        except UvmSyntaxError as err:
            print(err.pretty(), file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
