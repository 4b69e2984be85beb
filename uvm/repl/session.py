"""One REPL session: what happens to an input, whichever front end typed it.

The terminal REPL, the plain line-based REPL and the Jupyter kernel all hand inputs to
``Session.run`` and show the ``Outcome`` it returns, so a value, an error, an interrupt or
a command looks the same everywhere. Each input that is not a command is one evaluation
of the image -- one transaction, committed or rolled back whole.
"""
from __future__ import annotations

import dataclasses
import linecache
import re
import sys
from dataclasses import dataclass, field

import uvm
from uvm.runtime import send
from uvm.runtime.errors import UvmError, format_error
from uvm.syntax import UvmSyntaxError, parse
from uvm.syntax import ast as A
from uvm.repl.display import truncate
from uvm.runtime.naming import ObjectNames

INTERRUPTED = "Interrupted: the evaluation stopped and its transaction was rolled back."
# The REPL's own names: ``it`` is the last value, ``out7`` the value input 7 gave (IPython's
# ``_`` and ``Out[7]``; ``_`` starts a primitive in UVM). Read-only variables of each input.
REPL_NAMES = re.compile(r"(?<![\w:])(it|out[1-9][0-9]*)(?![\w:])")
NO_MODEL = "none (this installation has no language-model support)"


@dataclass
class Outcome:
    """What one input produced. ``output`` goes to standard output, ``error`` to standard
    error; ``kind`` is one of empty, value, command, syntax, error, interrupted."""
    kind: str
    output: str = ""
    error: str = ""
    ename: str = ""                  # for Jupyter: SyntaxError, Error, KeyboardInterrupt...
    evalue: str = ""
    syntax_error: UvmSyntaxError | None = None
    files: list[str] = field(default_factory=list)   # files a command wrote (:graph)

    @property
    def failed(self) -> bool:
        return self.kind in ("syntax", "error", "interrupted")


class Session:
    """The state a REPL keeps beside the image: switches, the inputs' numbers, the values
    they gave, object names.

    Inputs are numbered from 1 (``count`` is the latest); input 7 runs as the file
    ``<repl-7>``, whose text ``linecache`` keeps for backtraces. ``approve``: ask before
    installing a model-written method (on by default in the terminal REPL, which is what
    asks). ``done`` becomes true after ``:quit``."""

    def __init__(self, image, *, debug: bool = False, approve: bool = True,
                 filename: str = "<repl>", origin: str = "repl", editing_mode: str = "emacs"):
        self.image = image
        self.debug = debug
        self.approve = approve
        self.filename = filename
        self.origin = origin
        self.editing_mode = editing_mode
        self.done = False
        self.last = None
        self.has_last = False
        self.count = 0
        self.results: dict[int, object] = {}   # input number -> the value it gave
        self.redo: list[str] = []    # ids of undo evaluations :redo can take back
        self.max_lines: int | None = None     # None: display's defaults
        self.cache: dict = {}   # what was derived from the object graph (names, selectors)

    # --- inputs ----------------------------------------------------------------------------
    def run(self, text: str, number: int | None = None) -> Outcome:
        """Run one input, numbered ``number`` (default: the next): a ``:command`` or UVM
        source (one transaction)."""
        if not text.strip():
            return Outcome("empty")
        self.count = number if number is not None else self.count + 1
        if text.lstrip().startswith(":"):
            from uvm.repl.commands import run_command
            return run_command(self, text.strip())
        return self.evaluate(text)

    def input_name(self, number: int | None = None) -> str:
        """The file name input ``number`` runs as: ``<repl-7>``."""
        base = self.filename[1:-1] if self.filename.startswith("<") else self.filename
        return f"<{base}-{self.count if number is None else number}>"

    def evaluate(self, source: str) -> Outcome:
        """Evaluate UVM source as one transaction and show its value's printString."""
        filename = self.input_name()
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            names = self.names_for(source)
            value = self.image.eval(source, filename, self.origin, names=names)
        except UvmSyntaxError as e:
            return Outcome("syntax", error=e.pretty(), ename="SyntaxError", evalue=e.message,
                           syntax_error=e)
        except UvmError as e:
            return self.error_outcome(e)
        except KeyboardInterrupt:
            return Outcome("interrupted", error=INTERRUPTED, ename="KeyboardInterrupt",
                           evalue="interrupted")
        finally:
            self.forget()            # the evaluation may have changed the object graph
            live = _live_request()
        self.last, self.has_last = value, True
        self.results[self.count] = value
        self.redo.clear()            # a new evaluation: what was undone stays undone
        shown = self.show(value)
        return self.run_live(shown, live) if live is not None else shown

    def run_live(self, shown: Outcome, request: dict) -> Outcome:
        """``mind live``: the autotelic loop runs once the evaluation that asked for it has
        committed (each of its thoughts is a transaction of its own); its lines are printed
        as they come, and Ctrl-C stops it."""
        from uvm.cognition.cem import live
        print(shown.output, flush=True)
        live.run(self.image, (), say=lambda line: print(line, flush=True), **request)
        self.forget()
        return Outcome("empty")

    def names_for(self, source: str) -> dict:
        """The REPL names ``source`` uses (``it``, ``out7``), bound to their values --
        unless the lobby understands the name itself. A result that does not exist is an
        error here, before anything runs (else the model would be asked to write it)."""
        lobby = self.image.lobby
        names = {}
        for name in used_names(source, self.input_name()):
            if send.lookup(lobby, name):
                continue
            if name == "it":
                names[name] = self.last
                continue
            number = int(name[3:])
            if number not in self.results:
                kept = ", ".join(f"out{n}" for n in sorted(self.results)[-5:]) or "none yet"
                raise UvmError(f"{name}: input {number} gave no value (the values kept: "
                               f"{kept}; `it` is the last one)")
            names[name] = self.results[number]
        return names

    def show(self, value) -> Outcome:
        """The value's printString (run read-only), cut when it is long."""
        try:
            text = self.image.print_string(value)
        except UvmError as e:
            out = self.error_outcome(e)
            out.error = "(the evaluation committed, but printString of its value failed)\n" \
                + out.error
            return out
        except KeyboardInterrupt:
            return Outcome("interrupted", error="Interrupted while printing the value (the "
                           "evaluation itself committed).", ename="KeyboardInterrupt",
                           evalue="interrupted")
        if self.max_lines is not None:
            return Outcome("value", output=truncate(text, max_lines=self.max_lines))
        return Outcome("value", output=truncate(text))

    def error_outcome(self, err: UvmError) -> Outcome:
        text = format_error(err, source_lines=True)
        trace = getattr(err, "debug_trace", None)
        if self.debug and trace:
            text = trace.rstrip("\n") + "\n" + text
        return Outcome("error", error=text, ename="Error", evalue=err.message)

    # --- shared views ------------------------------------------------------------------------
    @property
    def names(self) -> ObjectNames:
        """Paths from the lobby to objects, rebuilt after each evaluation."""
        names = self.cache.get("names")
        if names is None:
            names = self.cache["names"] = ObjectNames(self.image.lobby)
        return names

    def forget(self) -> None:
        """Drop what was derived from the object graph (after an evaluation, an undo...)."""
        self.cache.clear()


def _live_request() -> dict | None:
    """The loop ``mind live`` asked for (only its bridge can have asked: if that module
    was never imported, nothing did)."""
    live = sys.modules.get("uvm.cognition.cem.live")
    return live.take_request() if live is not None else None


def used_names(source: str, filename: str) -> list[str]:
    """The REPL names ``source`` reads: implicit-receiver unary sends of ``it``/``outN``
    that no slot of the input itself declares."""
    if not REPL_NAMES.search(source):
        return []
    sent, declared, todo = [], set(), [parse(source, filename)]
    while todo:
        node = todo.pop()
        if isinstance(node, (tuple, list)):
            todo.extend(node)
            continue
        if not isinstance(node, A.Node):
            continue
        if isinstance(node, A.Send) and node.receiver is None and not node.args \
                and node.resend is None and REPL_NAMES.fullmatch(node.selector):
            sent.append(node.selector)
        elif isinstance(node, A.Slot):
            declared.add(node.name)
        todo.extend(getattr(node, f.name) for f in dataclasses.fields(node))
    return [name for name in dict.fromkeys(sent) if name not in declared]


def object_count(image) -> int | None:
    """How many objects the image's storage holds (cheap: the storage's index size)."""
    try:
        counter = getattr(image, "object_count", None)
        return counter() if counter is not None else image.db.objectCount()
    except Exception:  # noqa: BLE001 -- a banner must not fail on an odd storage
        return None


def image_name(image) -> str:
    return image.path or "an in-memory image (nothing is saved)"


def model_status(image) -> str:
    """One line on the language model of this run, without loading it: the backend spec
    (a setting of the run) and the base model the image holds, if any."""
    try:
        from uvm.llm.pllm import get_pllm
        from uvm.llm.settings import run_spec
    except ImportError:
        return NO_MODEL
    try:
        spec = run_spec()
        if spec == "none":
            return "none (--no-llm: a message an object does not understand is an error)"
        pllm = get_pllm(image)
    except Exception as e:  # noqa: BLE001 -- a bad setting must not stop the REPL
        return f"unknown ({e})"
    if pllm is not None:
        held = f"base model {pllm.describe()['name']} in the image"
    else:
        held = "no base model imported into this image yet (`uvm awaken`)"
    return f"{spec}, {held}; loaded when first needed"


def banner(image) -> str:
    """The first lines the REPL prints: the image, its size, the model, how to get help."""
    count = object_count(image)
    size = f", {count:,} objects" if count is not None else ""
    return (f"UVM {uvm.__version__} on {image_name(image)}{size}.\n"
            f"Model: {model_status(image)}.\n"
            f"Each input is one transaction. :help lists the commands; Ctrl-D exits.")
