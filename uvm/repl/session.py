"""One REPL session: what happens to an input, whichever front end typed it.

The terminal REPL, the plain line-based REPL and the Jupyter kernel all hand inputs to
``Session.run`` and show the ``Outcome`` it returns, so a value, an error, an interrupt or
a command looks the same everywhere. Each input that is not a command is one evaluation
of the image -- one transaction, committed or rolled back whole.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import uvm
from uvm.runtime.errors import UvmError, format_error
from uvm.syntax import UvmSyntaxError
from uvm.repl.display import truncate
from uvm.runtime.naming import ObjectNames

INTERRUPTED = "Interrupted: the evaluation stopped and its transaction was rolled back."
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
    """The state a REPL keeps beside the image: switches, the last value, object names.

    ``approve``: ask before installing a model-written method (on by default in the
    terminal REPL, which is what asks). ``done`` becomes true after ``:quit``."""

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
        self.max_lines: int | None = None     # None: display's defaults
        self.cache: dict = {}   # what was derived from the object graph (names, selectors)

    # --- inputs ----------------------------------------------------------------------------
    def run(self, text: str) -> Outcome:
        """Run one input: a ``:command`` or UVM source (one transaction)."""
        if not text.strip():
            return Outcome("empty")
        if text.lstrip().startswith(":"):
            from uvm.repl.commands import run_command
            return run_command(self, text.strip())
        return self.evaluate(text)

    def evaluate(self, source: str) -> Outcome:
        """Evaluate UVM source as one transaction and show its value's printString."""
        try:
            value = self.image.eval(source, self.filename, self.origin)
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
        self.last, self.has_last = value, True
        return self.show(value)

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
        text = format_error(err)
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
