"""The interactive loop. This is the plain line-based REPL; each complete input is one
evaluation (one transaction) and its value's printString is shown."""
from __future__ import annotations

import sys


def run_repl(image, debug: bool = False) -> None:
    from uvm.runtime.errors import UvmError, format_error
    from uvm.syntax import UvmSyntaxError, is_complete

    where = image.path or "in-memory image"
    print(f"UVM {__import__('uvm').__version__} on {where}. Ctrl-D exits.")
    while True:
        try:
            text = input("uvm> ")
            while not is_complete(text):
                text += "\n" + input("...> ")
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print()
            continue
        if not text.strip():
            continue
        try:
            value = image.eval(text, "<repl>")
            print(image.print_string(value))
        except UvmSyntaxError as e:
            print(e.pretty(), file=sys.stderr)
        except UvmError as e:
            print(format_error(e), file=sys.stderr)
        except KeyboardInterrupt:
            print("\ninterrupted (the evaluation was rolled back)", file=sys.stderr)
