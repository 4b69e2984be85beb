"""Where errors are reported (file, line, column, source line, message) and the spans of
nodes; ``is_complete`` for the REPL; the ``python -m uvm.syntax --check`` command."""
import subprocess
import sys

import pytest

from uvm.syntax import UvmSyntaxError, ast, is_complete, parse

from .helpers import only


def error(source: str) -> UvmSyntaxError:
    with pytest.raises(UvmSyntaxError) as info:
        parse(source, "e.uvm")
    return info.value


@pytest.mark.parametrize("source, line, col, message", [
    ("3 + 4 * 7.", 1, 7, "different binary operators '+' and '*' need parentheses"),
    ("x.\n(1 + 2 - 3)", 2, 8, "different binary operators '+' and '-'"),
    ("12 13", 1, 4, "unexpected number 13 after a complete expression"),
    ("x foo: (3", 1, 8, "unmatched '('"),
    ("\"two newlines\"\n(\n\"after\"\n", 2, 1, "unmatched '('"),
    ("3 + 4)", 1, 6, "unmatched ')'"),
    ("[ 3 )", 1, 5, "')' does not match the '[' at line 1, column 1"),
    ("a:", 1, 1, "expected an argument after keyword 'a:'"),
    ("(x foo: 3 Bar: )", 1, 16, "expected an argument after keyword 'Bar:'"),
    ("3 + ]", 1, 5, "unmatched ']'"),
    ("(3 + )", 1, 6, "expected an argument after binary operator '+'"),
    ("SNORT: 3", 1, 1, "a keyword message starts with a lower-case keyword"),
    ("( w ^ foo )", 1, 5, "'^' (return) can only start a statement"),
    (".", 1, 1, "empty statement before '.'"),
    (".2", 1, 1, "a float needs a digit before the decimal point"),
    ("'abc", 1, 1, "unterminated string"),
    ("1\n  \"abc", 2, 3, "unterminated comment"),
    ("_", 1, 1, "'_' alone is not a name"),
    ("a + {}", 1, 5, "expected an argument after binary operator '+'"),
    ("(| 2 = 3 |)", 1, 4, "expected a slot name, found number 2"),
    ("(| a = |)", 1, 8, "expected a value after '='"),
    ("(|a. b. c.|)", 1, 9, "missing space after 'c.'"),
    ("[ | ]", 1, 5, "expected '|' to end the slot list"),
    ("(| a <- (self) |)", 1, 6, "cannot put a method in an assignable slot"),
    ("(| :a = 2 |)", 1, 7, "argument slot ':a' cannot have an initial value"),
    ("(|\n  do:Snort: = (self) |)", 2, 3, "slot 'do:Snort:' takes 2 arguments"),
    ("(| f <- 3. g = py'''x''' |) foo: py'''y'''", 1, 34, "Python method literal"),
    ("'\\q'", 1, 2, "unknown escape"),
    ("x := 3", 1, 3, "expected an argument name directly after ':'"),
    ("x <- 3", 1, 3, "'<-' only declares a slot"),
])
def test_error_positions_and_messages(source, line, col, message):
    err = error(source)
    assert (err.file, err.line, err.col) == ("e.uvm", line, col), str(err)
    assert message in err.message
    assert err.source_line == source.split("\n")[line - 1]
    assert str(err).startswith(f"e.uvm:{line}:{col}: ")


def test_pretty_shows_a_caret_under_the_column():
    text = error("3 + 4 * 7.").pretty()
    assert text.splitlines() == [
        "SyntaxError: different binary operators '+' and '*' need parentheses",
        "  at e.uvm:1:7",
        "    3 + 4 * 7.",
        "          ^",
    ]


def test_spans():
    source = "x foo.\n  3 + (a bar: 'z')"
    first, second = parse(source, "s.uvm").statements
    assert first.span == ast.Span("s.uvm", 1, 1, 0, 5)
    assert source[second.span.start:second.span.end] == "3 + (a bar: 'z')"
    assert (second.span.line, second.span.col) == (2, 3)
    paren = second.args[0]
    assert isinstance(paren, ast.ObjectLiteral) and (paren.span.line, paren.span.col) == (2, 7)
    keyword = paren.code[0]
    assert source[keyword.span.start:keyword.span.end] == "a bar: 'z'"
    string = keyword.args[0]
    assert (string.span.line, string.span.col, source[string.span.start:string.span.end]) == \
        (2, 15, "'z'")


def test_slot_and_method_spans():
    source = "(| at: i Put: v = ( v ). y <- 2 |)"
    obj = only(source)
    method_slot, y = obj.slots
    assert source[method_slot.span.start:method_slot.span.end] == "at: i Put: v = ( v )"
    assert source[method_slot.value.span.start:method_slot.value.span.end] == "( v )"
    i, v = method_slot.value.slots
    assert (i.name, source[i.span.start:i.span.end]) == ("i", "i")
    assert source[y.span.start:y.span.end] == "y <- 2"
    assert (obj.span.start, obj.span.end) == (0, len(source))


def test_send_spans_cover_receiver_to_last_argument():
    source = "resend.at: 1 Put: 22"
    send = only(source)
    assert (send.span.start, send.span.end) == (0, len(source))
    ret = only("^ x foo")
    assert (ret.span.start, ret.span.end, ret.value.span.start) == (0, 7, 2)


@pytest.mark.parametrize("source, complete", [
    ("3 + 4", True), ("3 +", False), ("x foo:", False), ("x foo: 1 Bar:", False),
    ("(3 + 4", False), ("[ :x | x", False), ("(| a <- 1 |", False), ("'abc", False),
    ('"comment', False), ("(| f = py'''def f(self):", False), ("^", False), ("x <-", False),
    ("3 + 4)", True), ("12 13", True), ("", True), ("x foo: 1\n", True), ("resend.", True),
    ("p.", True), ("3 + 4 *", False), ("'it\\'s'", True),
])
def test_is_complete(source, complete):
    assert is_complete(source) is complete


def run_check(tmp_path, text):
    path = tmp_path / "f.uvm"
    path.write_text(text)
    return subprocess.run([sys.executable, "-m", "uvm.syntax", "--check", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_check_command_accepts(tmp_path):
    result = run_check(tmp_path, "(3 + 4) printLine.\n")
    assert result.returncode == 0 and result.stderr == ""


def test_check_command_rejects_without_a_traceback(tmp_path):
    result = run_check(tmp_path, "3 + 4 * 7.\n")
    assert result.returncode == 1
    assert "SyntaxError: different binary operators" in result.stderr
    assert "f.uvm:1:7" in result.stderr
    assert "Traceback" not in result.stderr
