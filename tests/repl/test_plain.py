"""The line-based REPL used when standard input is not a terminal."""
from __future__ import annotations

import io

from uvm.repl.plain import run_plain
from uvm.repl.session import Session


def run(image, text, prompts=False):
    out, err = io.StringIO(), io.StringIO()
    run_plain(Session(image), io.StringIO(text), out, err, prompts=prompts)
    return out.getvalue(), err.getvalue()


def test_values_on_stdout_errors_and_banner_on_stderr(image, capsys):
    run_plain(Session(image), io.StringIO("3 + 4\nnil zork\n'x' printLine\n"))
    out, err = capsys.readouterr()
    assert out == "7\nx\n'x'\n"           # the program's own output, then the value
    assert err.startswith("UVM ") and "doesNotUnderstand: #zork" in err


def test_inputs_span_lines_until_complete(image):
    out, _ = run(image, "(| a <- 2 |\n  a *\n  21)\n\n[:x |\n x + 1] value: 1\n")
    assert out == "42\n2\n"


def test_commands_and_quit(image):
    out, err = run(image, ":debug on\n:quit\n1\n")
    assert out == "debug (Python tracebacks) is on\n"


def test_unfinished_input_at_end_of_file_is_reported(image):
    out, err = run(image, "(| x <- 3\n")
    assert out == "" and "SyntaxError" in err


def test_prompts_go_to_stderr(image):
    out, err = run(image, "(1 +\n 2)\n", prompts=True)
    assert out == "3\n" and "uvm> " in err and "...> " in err
