"""The ``uvm`` command: like ``python`` or ``node``, for UVM programs and the living image.

    uvm                      REPL on the default image
    uvm FILE [ARGS...]       run a script (one transaction)
    uvm -c CODE / -p CODE    run a string (-p prints the value's printString)
    uvm -i FILE              run a script, then the REPL
    uvm -                    read the program from standard input
    uvm --check FILE         parse only
    uvm [OPTIONS] COMMAND    a subcommand (``uvm --help`` lists them)

Exit status: 0 success, 1 an error in the program or the image, 2 bad usage. Errors go to
standard error as UVM errors with UVM locations; ``--debug`` adds Python tracebacks (and
the storage libraries' own log messages, which are otherwise kept off the terminal). A
closed standard output (``uvm ... | head -1``) ends the run quietly, as Python tools do.

Subcommands
-----------
``SUBCOMMANDS`` maps each name to ``(target, summary)``: ``target`` is
``"module:function"``, a function that takes the subcommand's own arguments (a list of
strings) and returns the exit status; its module is imported only when the command runs,
so ``uvm -c`` stays fast. ``summary`` is its line in ``uvm --help``. To add one:

1. write ``def NAME_command(argv: list[str]) -> int`` beside what it works on, parsing
   ``argv`` with argparse (``prog="uvm NAME"``) and reporting failures as ``uvm: ...``
   lines with status 1 (2 for bad usage);
2. add its line to ``SUBCOMMANDS`` below (keep them in the order ``--help`` shows);
3. test it as a real process in ``tests/cli/``.

The global options (``GLOBAL_OPTIONS``) may come before the name and are in force while
the subcommand runs: ``--image``/``--memory`` become the default image (so open images
with ``open_image(opts.image)``, where ``None`` means that default), ``--llm``/
``--no-llm``/``--record`` the run's model (``uvm.llm.settings.run_spec()``), and
``--debug`` shows tracebacks of unexpected failures.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

import uvm

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "history": ("uvm.image.commands:history_command", "list recent evaluations, newest first"),
    "undo": ("uvm.image.commands:undo_command", "undo one committed evaluation"),
    "fileout": ("uvm.image.commands:fileout_command", "write an object as UVM source"),
    "filein": ("uvm.image.commands:filein_command", "read UVM source into the image"),
    "serve": ("uvm.image.commands:serve_command", "serve the image to others over ZEO"),
    "pack": ("uvm.image.commands:pack_command", "drop old history and unreachable objects"),
    "awaken": ("uvm.llm.commands:awaken_command", "put the language model into the image"),
    "model": ("uvm.llm.commands:model_command", "the model: status, ask"),
    "persona": ("uvm.llm.commands:persona_command", "personas: list, import, train"),
    "methods": ("uvm.llm.commands:methods_command",
                "model-written methods: list, show, remove, regenerate"),
    "route": ("uvm.cognition.commands:route_command", "which persona a text goes to"),
    "train": ("uvm.llm.commands:train_command", "train the method writer adapter"),
    "tools": ("uvm.cognition.tools.commands:tools_command",
              "capabilities for HTTP APIs: grant, list, revoke, log, outbox"),
    "memory": ("uvm.cognition.memory.commands:memory_command",
               "memories: ingest, recall, curate, stats"),
    "ask": ("uvm.cognition.commands:ask_command", "one thought: a persona answers a question"),
    "cem": ("uvm.cognition.cem.commands:cem_command",
            "the Composite Entropy Metric: values, plot, audit, tune"),
    "live": ("uvm.cognition.cem.commands:live_command",
             "the autotelic loop: thoughts, audits, self-improvement missions"),
    "kernel": ("uvm.repl.kernel:main", "the Jupyter kernel: install"),
}

# Options that may come before a subcommand, and how many values each takes.
GLOBAL_OPTIONS = {"--image": 1, "--memory": 0, "--llm": 1, "--no-llm": 0, "--record": 1,
                  "--debug": 0}


def _parser() -> argparse.ArgumentParser:
    width = max(map(len, SUBCOMMANDS)) + 2
    commands = "\n".join(f"  {name:<{width}}{summary}" for name, (_, summary) in SUBCOMMANDS.items())
    p = argparse.ArgumentParser(
        prog="uvm", formatter_class=argparse.RawDescriptionHelpFormatter,
        usage="uvm [options] [-c CODE | -p CODE | FILE | -] [ARGS...]\n"
              "       uvm [--image PATH | --memory] [--llm SPEC | --no-llm] COMMAND ...",
        description="UVM: a live, persistent, prototype-based language for Python.",
        epilog=f"commands (uvm COMMAND --help for each):\n{commands}\n\n"
               "A first argument that names an existing file or ends in .uvm is a script; "
               "a command's name is a subcommand. --image, --memory, --llm, --no-llm, "
               "--record and --debug may also come before a command.")
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
    """Run ``uvm`` with ``argv``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        status = _main(argv)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        _drop_stdout()
        return 1
    except SystemExit:  # argparse's --help, --version and usage errors
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _drop_stdout()
        raise
    except KeyboardInterrupt:
        print("\nuvm: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 -- the last line of defence: never a traceback
        if debug:
            raise
        print(f"uvm: internal error: {type(exc).__name__}: {exc} (run with --debug for the "
              "Python traceback)", file=sys.stderr)
        return 1
    finally:  # main() called in a process that goes on (tests, embedders) leaves no trace
        while _undo_globals:
            _undo_globals.pop()()


def _main(argv: list[str]) -> int:
    n = _leading_globals(argv)
    name = argv[n] if n < len(argv) else None
    if name in SUBCOMMANDS and not os.path.exists(name):
        opts = _parser().parse_args(argv[:n])
        _quiet_host_logs(opts.debug)
        status = _use_globals(opts)
        if status:
            return status
        module, function = SUBCOMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), function)(argv[n + 1:])
    opts = _parser().parse_args(argv)
    _quiet_host_logs(opts.debug)
    if opts.check:
        return _check(opts.check)
    program = opts.program
    if program not in (None, "-") and not (os.path.exists(program) or program.endswith(".uvm")):
        print(f"uvm: unknown command or missing file {program!r} (see uvm --help)", file=sys.stderr)
        return 2
    if program not in (None, "-") and not os.path.exists(program):
        print(f"uvm: cannot open {program!r}: no such file", file=sys.stderr)
        return 2
    if opts.code is not None and opts.print_code is not None:
        print("uvm: use one of -c and -p", file=sys.stderr)
        return 2
    status = _use_globals(opts, always=True)
    return status or _run(opts)


def _leading_globals(argv: list[str]) -> int:
    """How many of ``argv``'s first words are global options and their values."""
    i = 0
    while i < len(argv):
        name, eq, _ = argv[i].partition("=")
        if name not in GLOBAL_OPTIONS:
            break
        i += 1 + (0 if eq else GLOBAL_OPTIONS[name])
    return min(i, len(argv))


_undo_globals: list = []   # how to take this run's settings back when main() returns


def _use_globals(opts, always: bool = False) -> int:
    """Make the global options this run's settings; a bad --llm spec is bad usage (2)."""
    from uvm.image.storage import use_for_run
    use_for_run(opts.image, opts.memory)
    _undo_globals.append(lambda: use_for_run(None))
    if not (always or opts.llm or opts.no_llm or opts.record):
        return 0  # the subcommand's own --llm, $UVM_LLM or the config file decide
    if opts.no_llm and not (opts.llm or opts.record) and "uvm.llm.settings" not in sys.modules:
        # configure_run("none") in its cheapest form, the setting's own variable: a --no-llm
        # run never imports the model substrate (uvm.llm.settings reads it when asked)
        before = os.environ.get("UVM_LLM")
        os.environ["UVM_LLM"] = "none"
        _undo_globals.append(lambda: os.environ.__setitem__("UVM_LLM", before) if before
                             is not None else os.environ.pop("UVM_LLM", None))
        return 0
    from uvm.llm.errors import LLMError
    from uvm.llm.settings import configure_run
    try:  # the run's backend: a setting of this process, never stored in the image
        configure_run(opts.llm, opts.no_llm, record=opts.record)
    except LLMError as e:
        print(f"uvm: {e}", file=sys.stderr)
        return 2
    return 0


def _quiet_host_logs(debug: bool) -> None:
    """ZODB, ZEO and transaction log failures (with tracebacks) that UVM reports itself, in
    words; without --debug their records stay off the terminal. UVM's own warnings are one
    ``uvm: ...`` line each."""
    import logging
    if debug:
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(levelname)s: %(message)s")
        return
    for name in ("ZODB", "ZEO", "txn", "transaction", "relstorage", "zc.lockfile"):
        log = logging.getLogger(name)
        log.addHandler(logging.NullHandler())
        log.propagate = False
    own = logging.getLogger("uvm")
    if not own.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("uvm: %(message)s"))
        own.addHandler(handler)
        own.propagate = False


def _drop_stdout() -> None:
    """After the reader of standard output went away: nothing more goes there, and the
    interpreter's last flush at exit must not complain either."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _check(path: str) -> int:
    """``--check``: the file's text is read exactly as a run reads it, then parsed."""
    from uvm.syntax import UvmSyntaxError, parse
    from uvm.syntax.source import read_source
    try:
        parse(read_source(path), path)
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
        if not _no_model(opts):  # a failed send writes its method when the run has a model
            status = _install_synthesis(image, opts)
            if status:
                return status
        elif "uvm.llm.synthesis" in sys.modules:  # one an earlier run in this process made
            sys.modules["uvm.llm.synthesis"].uninstall()
        status = _run_program(image, opts)
        if opts.program is None and opts.code is None and opts.print_code is None or opts.interactive:
            from uvm.repl import run_repl  # like python -i: the REPL opens even after an error
            run_repl(image, debug=opts.debug)
    finally:
        image.close()
    return status


def _no_model(opts) -> bool:
    if opts.no_llm:
        return True
    from uvm.llm.settings import run_spec
    return run_spec() == "none"


def _install_synthesis(image, opts) -> int:
    from uvm.llm.synthesis import install
    synth = install(image)
    if synth is None:
        return 0
    from uvm.cognition.memory.briefing import register
    register()  # the brief tells the model what the image remembers about the send
    synth.synthesize_anyway = opts.synthesize_anyway
    if opts.approve:
        from uvm.llm.synthesis.approval import NoTerminal, TerminalApproval
        try:
            asker = TerminalApproval.open()
        except NoTerminal as e:
            print(f"uvm: {e}", file=sys.stderr)
            return 2
        synth.approver, synth.confirm_typo = asker.approve, asker.confirm_typo
    return 0


def _run_program(image, opts) -> int:
    """Run the -c/-p string, the script or standard input; report an error as UVM's."""
    from uvm.runtime.errors import UvmError, format_error
    from uvm.syntax import UvmSyntaxError
    from uvm.syntax.source import decode_source
    try:
        if opts.code is not None or opts.print_code is not None:
            code = opts.code if opts.code is not None else opts.print_code
            value = image.eval(code, "<-c>", "-c" if opts.code is not None else "-p")
            if opts.print_code is not None:
                print(image.print_string(value))
        elif opts.program == "-":
            image.eval(decode_source(sys.stdin.buffer.read(), "<stdin>"), "<stdin>", "stdin")
        elif opts.program is not None:
            sys.argv = [opts.program, *opts.args]
            image.run_file(opts.program)
    except OSError as e:
        if isinstance(e, BrokenPipeError) or opts.program in (None, "-"):
            raise
        print(f"uvm: cannot read {opts.program}: {e.strerror}", file=sys.stderr)
        return 1
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
