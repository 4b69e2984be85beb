"""A Jupyter kernel for UVM, and ``uvm kernel install`` that registers it.

The kernel holds one image for its life (``$UVM_IMAGE`` or ``./live_image.fs`` in the
notebook's folder, or what ``--image``/``--memory`` gave at install time) and runs each
cell through the same ``Session`` as the REPL: one transaction per cell, the value's
printString as the result, errors in Jupyter's error format (``ename``, ``evalue`` and a
UVM backtrace), completion as in the REPL. Interrupting the kernel stops a running cell
and rolls back its transaction. The image is opened at the first cell rather than at
start-up, so a locked image is reported in the notebook instead of killing the kernel.

A notebook has no one to ask before a model-written method is installed, so the kernel
runs without a language model unless one is configured: ``--llm SPEC`` (given by ``uvm
kernel install --llm SPEC``), ``$UVM_LLM`` or ``llm = ...`` in the config file. The banner
says which, and a message not understood for want of a model says how to configure one.

    python -P -m uvm.repl.kernel -f CONNECTION_FILE [--image PATH | --memory] [--llm SPEC]

``-P`` keeps the current directory off the import path: Jupyter starts the kernel in the
notebook's folder, and a folder holding a ``uvm/`` directory (a checkout of UVM) must not
shadow the installed package.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile

import uvm

KERNEL_NAME = "uvm"
NO_MODEL = ("(This kernel runs without a language model, so no method is written for a "
            "message that is not understood. To have one: uvm kernel install --llm embedded, "
            "or set UVM_LLM for Jupyter.)")


def model_line() -> str:
    """The kernel banner's line on the language model of this kernel."""
    from uvm.llm.settings import run_spec
    spec = run_spec()
    if spec == "none":
        return ("Model: none -- a message an object does not understand is an error here "
                "(uvm kernel install --llm embedded gives the kernel a model).")
    return (f"Model: {spec} -- it writes a method for a message an object does not "
            "understand, installed without asking.")


def configure_model(llm: str | None) -> None:
    """The kernel's model: ``llm``, else one the user configured; never the built-in
    default (see the module docstring)."""
    from uvm.llm.settings import configure_run, configured_spec
    try:
        if llm is None and configured_spec()[1] == "default":
            configure_run(no_llm=True)
        else:
            configure_run(llm)
    except Exception as e:  # noqa: BLE001 -- a bad setting leaves the kernel without a model
        print(f"uvm kernel: {e}; running without a language model", file=sys.stderr)
        configure_run(no_llm=True)
LANGUAGE_INFO = {
    "name": "uvm",
    "version": uvm.__version__,
    "mimetype": "text/x-uvm",
    "file_extension": ".uvm",
    "pygments_lexer": "uvm",
    "codemirror_mode": "smalltalk",
}


def _kernel_class():
    """Built on first use: importing ipykernel is slow and only the kernel needs it."""
    from ipykernel.kernelbase import Kernel

    class UvmKernel(Kernel):
        implementation = "uvm"
        implementation_version = uvm.__version__
        language = "uvm"
        language_version = uvm.__version__
        language_info = LANGUAGE_INFO
        image_spec: str | None = None
        memory = False

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self._session = None
            self._open_error: str | None = None

        @property
        def banner(self) -> str:
            return (f"UVM {uvm.__version__}: a live, persistent, prototype-based language\n"
                    + model_line())

        # --- the image ----------------------------------------------------------------------
        def uvm_session(self):
            if self._session is None:
                from uvm.image.image import ImageError, open_image
                from uvm.repl.session import Session
                try:
                    image = open_image(self.image_spec, memory=self.memory)
                except ImageError as e:
                    self._open_error = str(e)
                    return None
                self._session = Session(image, filename="<cell>", origin="jupyter",
                                        approve=True)
                from uvm.llm.synthesis import install
                if install(image) is not None:  # a not-understood message writes its method
                    from uvm.cognition.memory.briefing import register
                    register()  # ... told what the image remembers about the send
            return self._session

        # --- messages ------------------------------------------------------------------------
        def set_parent(self, ident, parent, channel="shell"):
            """Tie ``printLine`` output to the cell that made it (IPython's kernel does this
            through its shell; a plain Kernel has to tell the output streams itself)."""
            super().set_parent(ident, parent, channel)
            if channel == "shell":
                for stream in (sys.stdout, sys.stderr):
                    if hasattr(stream, "set_parent"):
                        stream.set_parent(parent)

        async def do_execute(self, code, silent, store_history=True, user_expressions=None,
                             allow_stdin=False, *, cell_meta=None, cell_id=None):
            session = self.uvm_session()
            if session is None:
                return self._error("ImageError", self._open_error or "cannot open the image",
                                   [f"Error: {self._open_error}"], silent)
            outcome = session.run(code, number=self.execution_count)  # out7 is Out[7]
            sys.stdout.flush()
            sys.stderr.flush()
            if outcome.failed or outcome.kind == "error":
                lines = outcome.error.split("\n")
                from uvm.llm.settings import run_spec
                if outcome.evalue.startswith("doesNotUnderstand:") and run_spec() == "none":
                    lines.append(NO_MODEL)
                return self._error(outcome.ename or "Error", outcome.evalue or outcome.error,
                                   lines, silent)
            if not silent:
                if outcome.kind == "value":
                    self.send_response(self.iopub_socket, "execute_result", {
                        "execution_count": self.execution_count,
                        "data": {"text/plain": outcome.output}, "metadata": {}})
                elif outcome.output:
                    self.send_response(self.iopub_socket, "stream",
                                       {"name": "stdout", "text": outcome.output + "\n"})
                for path in outcome.files:
                    self._display_file(path)
            return {"status": "ok", "execution_count": self.execution_count, "payload": [],
                    "user_expressions": {}}

        def _error(self, ename: str, evalue: str, traceback: list[str], silent: bool) -> dict:
            content = {"ename": ename, "evalue": evalue, "traceback": traceback}
            if not silent:
                self.send_response(self.iopub_socket, "error", content)
            return {"status": "error", "execution_count": self.execution_count, **content}

        def _display_file(self, path: str) -> None:
            kinds = {".svg": ("image/svg+xml", "r"), ".png": ("image/png", "rb")}
            kind = kinds.get(os.path.splitext(path)[1].lower())
            if kind is None:
                return
            with open(path, kind[1]) as f:
                data = f.read()
            if kind[1] == "rb":
                import base64
                data = base64.b64encode(data).decode("ascii")
            self.send_response(self.iopub_socket, "display_data",
                               {"data": {kind[0]: data, "text/plain": path}, "metadata": {}})

        async def do_complete(self, code, cursor_pos):
            from uvm.repl.completion import complete
            session = self.uvm_session()
            candidates = complete(session, code, cursor_pos) if session is not None else []
            start = cursor_pos + (candidates[0].start if candidates else 0)
            return {
                "status": "ok", "matches": [c.text for c in candidates],
                "cursor_start": start, "cursor_end": cursor_pos,
                "metadata": {"_jupyter_types_experimental": [
                    {"start": cursor_pos + c.start, "end": cursor_pos, "text": c.text,
                     "type": c.meta.split(" ")[0] if c.meta else "", "signature": c.display}
                    for c in candidates]},
            }

        async def do_is_complete(self, code):
            from uvm.repl.key_bindings import newline_indent
            from uvm.syntax import is_complete
            if code.lstrip().startswith(":") or is_complete(code):
                return {"status": "complete"}
            return {"status": "incomplete", "indent": newline_indent(code)}

        async def do_inspect(self, code, cursor_pos, detail_level=0, omit_sections=()):
            """Shift-Tab: the object a plain path names, read without running code."""
            from uvm.repl.inspector import inspect_value
            from uvm.repl.static import NotStatic, resolve_text
            session = self.uvm_session()
            found = {}
            if session is not None:
                end = cursor_pos
                while end < len(code) and (code[end].isalnum() or code[end] == "_"):
                    end += 1
                line_start = code.rfind("\n", 0, end) + 1
                try:
                    value = resolve_text(code[line_start:end], session.image.lobby)
                    found = {"text/plain": inspect_value(value, session.names)}
                except NotStatic:
                    pass
            return {"status": "ok", "found": bool(found), "data": found, "metadata": {}}

        async def do_shutdown(self, restart):
            if self._session is not None:
                self._session.image.close()
                self._session = None
            return {"status": "ok", "restart": restart}

    return UvmKernel


def launch(argv: list[str] | None = None) -> None:
    """Start the kernel (Jupyter runs this with ``-f CONNECTION_FILE``)."""
    argv = sys.argv[1:] if argv is None else argv
    ours = argparse.ArgumentParser(add_help=False)
    ours.add_argument("--image")
    ours.add_argument("--memory", action="store_true")
    ours.add_argument("--llm")
    opts, rest = ours.parse_known_args(argv)
    configure_model(opts.llm)
    kernel = _kernel_class()
    kernel.image_spec = opts.image
    kernel.memory = opts.memory
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.launch_instance(argv=rest, kernel_class=kernel)


# --- uvm kernel install ------------------------------------------------------------------------

def kernel_spec(image: str | None = None, memory: bool = False, llm: str | None = None) -> dict:
    """The kernel.json Jupyter reads: how to start this kernel with this Python."""
    argv = [sys.executable, "-P", "-m", "uvm.repl.kernel", "-f", "{connection_file}"]
    if memory:
        argv.append("--memory")
    elif image:
        argv += ["--image", os.path.abspath(image)]
    if llm:
        argv += ["--llm", llm]
    return {"argv": argv, "display_name": "UVM", "language": "uvm",
            "interrupt_mode": "signal", "metadata": {"debugger": False}}


def main(argv: list[str]) -> int:
    """``uvm kernel install [--user | --sys-prefix | --prefix DIR] [--image PATH | --memory]``"""
    p = argparse.ArgumentParser(prog="uvm kernel", description="The UVM Jupyter kernel.")
    sub = p.add_subparsers(dest="action", required=True)
    inst = sub.add_parser("install", help="register the UVM kernel with Jupyter")
    where = inst.add_mutually_exclusive_group()
    where.add_argument("--user", action="store_true", help="for this user only")
    where.add_argument("--sys-prefix", action="store_true",
                       help="into this Python environment (for a virtual environment)")
    where.add_argument("--prefix", metavar="DIR", help="under DIR/share/jupyter/kernels")
    inst.add_argument("--name", default=KERNEL_NAME, help="the kernel's name (default uvm)")
    img = inst.add_mutually_exclusive_group()
    img.add_argument("--image", metavar="PATH",
                     help="always use this image (default: $UVM_IMAGE or ./live_image.fs "
                          "in the notebook's folder)")
    img.add_argument("--memory", action="store_true", help="a fresh in-memory image per kernel")
    inst.add_argument("--llm", metavar="SPEC",
                      help="the language model that writes missing methods (default: none, "
                           "unless $UVM_LLM or the config file names one)")
    opts = p.parse_args(argv)
    if not (opts.image or opts.memory):  # uvm --image X kernel install
        from uvm.image.storage import run_image
        opts.image, opts.memory = run_image()
    if opts.llm:
        from uvm.llm.errors import LLMError
        from uvm.llm.settings import parse_spec
        try:
            parse_spec(opts.llm)
        except LLMError as e:
            print(f"uvm: {e}", file=sys.stderr)
            return 2
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError:
        print("uvm: the Jupyter kernel needs jupyter_client and ipykernel: "
              "pip install 'uvm[jupyter]'", file=sys.stderr)
        return 1
    prefix = sys.prefix if opts.sys_prefix else opts.prefix
    folder = tempfile.mkdtemp(prefix="uvm-kernel-")
    try:
        with open(os.path.join(folder, "kernel.json"), "w", encoding="utf-8") as f:
            json.dump(kernel_spec(opts.image, opts.memory, opts.llm), f, indent=1)
        try:
            dest = KernelSpecManager().install_kernel_spec(
                folder, kernel_name=opts.name, user=opts.user, prefix=prefix)
        except OSError as e:
            print(f"uvm: cannot install the kernel: {e.strerror or e}; try --user or "
                  "--sys-prefix", file=sys.stderr)
            return 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"installed the UVM kernel {opts.name!r} in {dest}")
    return 0


if __name__ == "__main__":
    launch()
