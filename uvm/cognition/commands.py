"""``uvm route TEXT``: which persona the router would choose, one line per persona,
``NAME SCORE`` (the name in capitals), best first. Keep exactly this format: scripts read it.
"""
from __future__ import annotations

import argparse
import sys


def route_command(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="uvm route", description="Score every persona of the "
                                "image's mind for TEXT, best first (the router; no language "
                                "model is asked).")
    p.add_argument("text", nargs="+", help="the query (several words are joined)")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    p.add_argument("--memory", action="store_true", help="a throw-away image with the shipped personas")
    opts = p.parse_args(argv)
    text = " ".join(opts.text).strip()
    if not text:
        p.error("give the text to route")
    from uvm.cognition.router import RouterError, route
    from uvm.image.image import ImageError
    from uvm.llm.errors import LLMError
    try:
        image, writable = _open(opts)
    except ImageError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    try:
        if writable:  # a codex embedded for the first time is kept in the image
            routing = image.run(lambda: route(image, text), f"route {text}", "route")
        else:         # the image is held by another process: embed without keeping it
            routing = route(image, text, save=False)
        lines = [f"{_name(persona)} {score:.3f}" for persona, score in routing.ranking]
    except (RouterError, LLMError) as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    finally:
        image.close()
    print("\n".join(lines))
    return 0


def _open(opts):
    """The image, and whether it can be written (read-only while another process holds it)."""
    from uvm.image.image import ImageError, open_image
    if opts.memory:
        return open_image(memory=True), True
    try:
        return open_image(opts.image), True
    except ImageError as first:
        try:
            return open_image(opts.image, read_only=True), False
        except ImageError:
            raise first from None


def _name(persona) -> str:
    from uvm.cognition.personas import codex_of
    return codex_of(persona).name.upper()
