"""Literals: numbers (signs, radix, floats), strings and their escapes, comments."""
import pytest

from uvm.syntax import UvmSyntaxError, ast, parse

from .helpers import only, tree


@pytest.mark.parametrize("source, value", [
    ("42", 42), ("0", 0), ("-7", -7), ("16rFF", 255), ("16rff", 255), ("2r1010", 10),
    ("36rZz", 36 * 35 + 35), ("-16r10", -16), ("123456789012345678901234567890",
                                                 123456789012345678901234567890),
])
def test_integers(source, value):
    node = only(source)
    assert isinstance(node, ast.Integer) and node.value == value


def test_integers_are_unbounded():
    assert only("9" * 5000).value == 10 ** 5000 - 1       # beyond int()'s default digit limit


@pytest.mark.parametrize("source, value", [
    ("3.14", 3.14), ("1.5e10", 1.5e10), ("2e-3", 2e-3), ("1e+2", 100.0), ("-0.5", -0.5),
    ("2E3", 2000.0),
])
def test_floats(source, value):
    node = only(source)
    assert isinstance(node, ast.Float) and node.value == value


@pytest.mark.parametrize("source", [".2", "0x1F", "012", "3abs", "2r102", "37r1", "1e", "1e400",
                                    "16r"])
def test_malformed_numbers(source):
    with pytest.raises(UvmSyntaxError):
        parse(source)


def test_minus_is_a_sign_only_where_no_operand_precedes():
    assert tree("-5 abs") == "(-5 abs)"
    assert tree("a-1") == "((_ a) - 1)"
    assert tree("3 -2") == "(3 - 2)"
    assert tree("3 - -2") == "(3 - -2)"
    assert tree("(-1)") == "(|| -1)"
    assert tree("x: -1") == "(_ x: -1)"
    assert tree("[ ^ -1 ]") == "[|| ^-1]"


def test_operators_are_read_by_maximal_munch():
    assert tree("3*-2") == "(3 *- 2)"
    assert tree("a -> b") == "((_ a) -> (_ b))"
    assert tree("a \\/-> b") == "((_ a) \\/-> (_ b))"


@pytest.mark.parametrize("source, value", [
    (r"'abc'", "abc"), (r"''", ""), (r"'it\'s'", "it's"), (r"'a\nb'", "a\nb"),
    (r"'\t\r\\\"\0'", "\t\r\\\"\0"), (r"'\x41\x7f'", "A\x7f"), (r"'\a\b\f\v\?'", "\a\b\f\v?"),
    (r"'\o101\d065'", "AA"), ("'two\nlines'", "two\nlines"), ("'joined\\\nline'", "joinedline"),
])
def test_strings(source, value):
    node = only(source)
    assert isinstance(node, ast.String) and node.value == value


@pytest.mark.parametrize("source", [r"'\q'", r"'\x4'", r"'\xZZ'", "'open", r"'\'"])
def test_bad_strings(source):
    with pytest.raises(UvmSyntaxError):
        parse(source)


def test_comments_may_contain_escaped_quotes():
    assert tree('3 " a comment with \\" and \\\\ so there"') == "3"
    assert tree('"first" 1 "between" + "and" 2 "last"') == "(1 + 2)"
    with pytest.raises(UvmSyntaxError, match="unterminated comment"):
        parse('23 "unterminated comment')


def test_self_and_reserved_words():
    assert isinstance(only("self"), ast.Self)
    assert tree("self foo") == "(self foo)"
    for source in ("resend", "resend foo", "Foo", "_", "self.foo"):
        with pytest.raises(UvmSyntaxError):
            parse(source)


def test_primitives():
    assert tree("_Clone") == "(_ _Clone)"
    assert tree("lobby _AddSlots: 3") == "((_ lobby) _AddSlots: 3)"
    assert tree("a _At: 0 Put: 1") == "((_ a) _At: 0 Put: 1)"


def test_program_keeps_the_source():
    program = parse("3 + 4. 'x'", "f.uvm")
    assert program.source == "3 + 4. 'x'"
    assert program.span == ast.Span("f.uvm", 1, 1, 0, 10)
