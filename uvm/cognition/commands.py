"""The mind's commands.

``uvm route TEXT``: which persona the router would choose, one line per persona,
``NAME SCORE`` (the name in capitals), best first. Keep exactly this format: scripts read it.

``uvm ask QUESTION``: one thought (``ask_command``).
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


def ask_command(argv: list[str]) -> int:
    """``uvm ask 'question' [--persona NAME] [--trace] [--image P]``: one thought, one
    transaction. The answer goes to standard output; with ``--trace`` the states with their
    seconds, the facets and the gate's results go to standard error. Exit 1 when the
    thought failed (the state and the reason on standard error): nothing of it is kept."""
    p = argparse.ArgumentParser(prog="uvm ask", description="Ask the image's mind a question: "
                                "the router picks the persona(s) (or --persona), each thinks "
                                "through the Synaptic Cycle, and the thought is one transaction "
                                "(uvm history lists it, uvm undo takes it back).")
    p.add_argument("question", nargs="+", help="the question (several words are joined)")
    p.add_argument("--persona", metavar="NAME", help="this persona thinks alone (no router)")
    p.add_argument("--trace", action="store_true", help="the thought's trace on standard error")
    p.add_argument("--image", metavar="PATH", help="the image (default $UVM_IMAGE or ./live_image.fs)")
    p.add_argument("--memory", action="store_true", help="a throw-away image with the shipped personas")
    p.add_argument("--llm", metavar="SPEC", help="the language model backend for this run")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    opts = p.parse_args(argv)
    question = " ".join(opts.question).strip()
    if not question:
        p.error("give the question to ask")
    from uvm.image.image import ImageError, open_image
    from uvm.llm.errors import LLMError
    from uvm.llm.settings import configure_run
    try:
        if opts.llm:  # else the run's model: uvm --llm SPEC ask ..., $UVM_LLM or the config
            configure_run(opts.llm)
    except LLMError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 2
    try:
        image = open_image(opts.image, memory=opts.memory)
    except ImageError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    try:
        return _ask(image, question, opts)
    finally:
        image.close()


def _ask(image, question: str, opts) -> int:
    from uvm.cognition import cycle, thoughts
    from uvm.llm.synthesis import install
    from uvm.runtime.errors import UvmError, format_error
    install(image)  # a facet not yet written is written on its first send
    receiver = "mind" if not opts.persona else f"(mind personaNamed: {_literal(opts.persona)})"
    source = f"{receiver} ask: {_literal(question)}"
    cycle.last_trace = None
    try:
        answer = image.eval(source, "<uvm ask>", "thought")
    except KeyboardInterrupt:
        _show_trace(opts, cycle.last_trace, thoughts)
        print("uvm: interrupted: the thought was doomed, nothing of it was kept", file=sys.stderr)
        return 1
    except UvmError as e:
        _show_trace(opts, cycle.last_trace, thoughts)
        if isinstance(e, cycle.ThoughtFailed):
            print(f"uvm: FAILED in {e.state}: {e.reason}", file=sys.stderr)
        else:
            if opts.debug and getattr(e, "debug_trace", None):
                print(e.debug_trace, file=sys.stderr)
            print(format_error(e), file=sys.stderr)
        return 1
    _show_trace(opts, cycle.last_trace, thoughts)
    print(answer if isinstance(answer, str) else image.print_string(answer))
    return 0


def _show_trace(opts, trace, thoughts) -> None:
    if opts.trace and trace is not None:
        print("\n".join(thoughts.describe(trace)), file=sys.stderr)


def _literal(text: str) -> str:
    """``text`` as a UVM string literal."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
    return f"'{escaped}'"
