"""The ``uvm`` command: like ``python`` or ``node``, for UVM programs and the living image.

    uvm                      REPL on the default image
    uvm FILE [ARGS...]       run a script (one transaction)
    uvm -c CODE / -p CODE    run a string (-p prints the value's printString)
    uvm -i FILE              run a script, then the REPL
    uvm -                    read the program from standard input
    uvm --check FILE         parse only

Exit status: 0 success, 1 an error in the program or the image, 2 bad usage. Errors go to
standard error as UVM errors with UVM locations; ``--debug`` adds Python tracebacks.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

import uvm

# Subcommands: name -> "module:function"; the function takes the remaining arguments and
# returns the exit status. Modules are imported only when their command runs.
SUBCOMMANDS: dict[str, str] = {
    "history": "uvm.image.commands:history_command",
    "undo": "uvm.image.commands:undo_command",
    "fileout": "uvm.image.commands:fileout_command",
    "filein": "uvm.image.commands:filein_command",
    "serve": "uvm.image.commands:serve_command",
    "pack": "uvm.image.commands:pack_command",
    "awaken": "uvm.llm.commands:awaken_command",
    "model": "uvm.llm.commands:model_command",
    "persona": "uvm.llm.commands:persona_command",
    "methods": "uvm.llm.commands:methods_command",
    "route": "uvm.cognition.commands:route_command",
    "ask": "uvm.cognition.commands:ask_command",
    "kernel": "uvm.repl.kernel:main",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="uvm", description="UVM: a live, persistent, prototype-based language for Python.",
        epilog="A first argument that names an existing file or ends in .uvm is a script; "
               "anything else is a subcommand.")
    p.add_argument("-c", dest="code", metavar="CODE", help="run CODE")
    p.add_argument("-p", dest="print_code", metavar="CODE", help="run CODE and print its value")
    p.add_argument("-i", dest="interactive", action="store_true",
                   help="start the REPL after running the script")
    p.add_argument("--check", metavar="FILE", help="only parse FILE (exit 1 on a syntax error)")
    p.add_argument("--image", metavar="PATH",
                   help="the image to use (default $UVM_IMAGE or ./live_image.fs)")
    p.add_argument("--memory", action="store_true", help="use a throw-away in-memory image")
    p.add_argument("--llm", metavar="SPEC", help="the language model backend for this run")
    p.add_argument("--no-llm", action="store_true",
                   help="never call a language model: an unknown message is an error")
    p.add_argument("--record", metavar="FILE",
                   help="record the model's generations to FILE (replay them with --llm replay:FILE)")
    p.add_argument("--approve", action="store_true",
                   help="show each method the model writes and install it only if you say "
                        "yes (asked on the terminal; the interactive REPL always asks)")
    p.add_argument("--synthesize-anyway", action="store_true",
                   help="ask the model even for a selector that looks like a typo of a known one")
    p.add_argument("--debug", action="store_true", help="show Python tracebacks")
    p.add_argument("--version", action="version", version=f"uvm {uvm.__version__}")
    p.add_argument("program", nargs="?", help="script FILE, or - for standard input")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is not None and first in SUBCOMMANDS and argv[0] == first \
            and not os.path.exists(first):
        module, function = SUBCOMMANDS[first].split(":")
        return getattr(importlib.import_module(module), function)(argv[1:])
    opts = _parser().parse_args(argv)
    if opts.check:
        return _check(opts.check)
    program = opts.program
    if program not in (None, "-") and not (os.path.exists(program) or program.endswith(".uvm")):
        print(f"uvm: unknown command or missing file {program!r} (see uvm --help)", file=sys.stderr)
        return 2
    if program not in (None, "-") and not os.path.exists(program):
        print(f"uvm: cannot open {program!r}: no such file", file=sys.stderr)
        return 2
    from uvm.llm.errors import LLMError
    from uvm.llm.settings import configure_run
    try:  # the run's backend: a setting of this process, never stored in the image
        configure_run(opts.llm, opts.no_llm, record=opts.record)
    except LLMError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 2
    if opts.code is not None and opts.print_code is not None:
        print("uvm: use one of -c and -p", file=sys.stderr)
        return 2
    return _run(opts)


def _check(path: str) -> int:
    from uvm.syntax import UvmSyntaxError, parse
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            parse(f.read(), path)
    except OSError as e:
        print(f"uvm: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 1
    except UvmSyntaxError as e:
        print(e.pretty(), file=sys.stderr)
        return 1
    return 0


def _run(opts) -> int:
    from uvm.image.image import ImageError, open_image

    try:
        image = open_image(opts.image, memory=opts.memory)
    except ImageError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 1
    try:
        from uvm.llm.synthesis import install
        synth = install(image)  # a failed send writes its method when the run has a model
        if synth is not None:
            synth.synthesize_anyway = opts.synthesize_anyway
            if opts.approve:
                from uvm.llm.synthesis.approval import NoTerminal, TerminalApproval
                try:
                    asker = TerminalApproval.open()
                except NoTerminal as e:
                    print(f"uvm: {e}", file=sys.stderr)
                    return 2
                synth.approver, synth.confirm_typo = asker.approve, asker.confirm_typo
        status = _run_program(image, opts)
        if opts.program is None and opts.code is None and opts.print_code is None or opts.interactive:
            from uvm.repl import run_repl  # like python -i: the REPL opens even after an error
            run_repl(image, debug=opts.debug)
    finally:
        image.close()
    return status


def _run_program(image, opts) -> int:
    """Run the -c/-p string, the script or standard input; report an error as UVM's."""
    from uvm.runtime.errors import UvmError, format_error
    from uvm.syntax import UvmSyntaxError
    try:
        if opts.code is not None or opts.print_code is not None:
            code = opts.code if opts.code is not None else opts.print_code
            value = image.eval(code, "<-c>", "-c" if opts.code is not None else "-p")
            if opts.print_code is not None:
                print(image.print_string(value))
        elif opts.program == "-":
            image.eval(sys.stdin.read(), "<stdin>", "stdin")
        elif opts.program is not None:
            sys.argv = [opts.program, *opts.args]
            image.run_file(opts.program)
    except UvmSyntaxError as e:
        print(e.pretty(), file=sys.stderr)
        return 1
    except UvmError as e:
        sys.stdout.flush()
        if opts.debug and getattr(e, "debug_trace", None):
            print(e.debug_trace, file=sys.stderr)
        print(format_error(e), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nuvm: interrupted (the evaluation was rolled back)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
