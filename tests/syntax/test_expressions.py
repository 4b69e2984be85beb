"""Expressions: precedence, keyword capitalisation, implicit receivers, resends, returns,
statement separation and the top-level line-break rule."""
import pytest

from uvm.syntax import UvmSyntaxError, ast, parse

from .helpers import only, tree


def test_unary_binds_tightest_and_chains_left_to_right():
    assert tree("3 factorial printString") == "((3 factorial) printString)"
    assert tree("3 + 4 squared") == "(3 + (4 squared))"
    assert tree("a b + c d") == "(((_ a) b) + ((_ c) d))"


def test_binary_binds_tighter_than_keyword():
    assert tree("2 max: 3 + 4") == "(2 max: (3 + 4))"
    assert tree("3 + 4 foo: 3") == "((3 + 4) foo: 3)"
    assert tree("a: 23 + 42 B: a + b + c C: 2") == \
        "(_ a: (23 + 42) B: (((_ a) + (_ b)) + (_ c)) C: 2)"


def test_same_binary_operator_associates_left():
    assert tree("1 + 2 + 3") == "((1 + 2) + 3)"
    assert tree("a -> 'b' -> 'c' -> ()") == "((((_ a) -> 'b') -> 'c') -> (||))"


@pytest.mark.parametrize("source", ["1 + 2 - 3", "3 + 4 * 7", "1 + 2 - a: 3", "+ 3 - 4"])
def test_different_binary_operators_need_parentheses(source):
    with pytest.raises(UvmSyntaxError, match="different binary operators"):
        parse(source)


def test_parentheses_group():
    assert tree("3 + (4 * 7)") == "(3 + (|| (4 * 7)))"
    assert tree("(1 + 2) - 3") == "((|| (1 + 2)) - 3)"


def test_keyword_capitalisation_decides_what_belongs_to_one_message():
    assert tree("5 min: 4 Max: 7") == "(5 min: 4 Max: 7)"
    assert tree("a foo: b bar: c") == "((_ a) foo: ((_ b) bar: (_ c)))"
    assert tree("calc twice: calc add: 3 To: 4") == "((_ calc) twice: ((_ calc) add: 3 To: 4))"
    assert tree("a foo: b bar: c Baz: d") == "((_ a) foo: ((_ b) bar: (_ c) Baz: (_ d)))"
    assert tree("a: b: 3") == "(_ a: (_ b: 3))"


def test_keyword_selector_and_arguments():
    send = only("d at: 'a' Put: 1")
    assert isinstance(send, ast.Send)
    assert send.selector == "at:Put:"
    assert [a.value for a in send.args] == ["a", 1]
    assert send.receiver == ast.Send(send.receiver.span, None, "d", at=send.receiver.span)
    assert (send.at.line, send.at.col) == (1, 3)  # errors point at the selector


@pytest.mark.parametrize("source", ["SNORT:", "3 Foo: 4", "a:", "a: B:", "a: 23 B:"])
def test_malformed_keyword_messages(source):
    with pytest.raises(UvmSyntaxError):
        parse(source)


def test_implicit_receivers():
    assert tree("foo") == "(_ foo)"
    assert tree("foo: 3") == "(_ foo: 3)"
    assert tree("+ 3") == "(_ + 3)"
    assert tree("( = x ) not") == "((|| (_ = (_ x))) not)"
    assert tree("+ display: b") == "(_ + (_ display: (_ b)))"
    assert tree("3 + a: 4") == "(3 + (_ a: 4))"
    assert tree("3 + 4 + a: 5") == "((3 + 4) + (_ a: 5))"
    assert tree("x foo: 3 + a: 4 Bar: 5") == "((_ x) foo: (3 + (_ a: 4 Bar: 5)))"
    with pytest.raises(UvmSyntaxError):
        parse("+ + 3")


def test_resends():
    assert tree("resend.foo") == "(resend. foo)"
    assert tree("resend.at: 1 Put: 2") == "(resend. at: 1 Put: 2)"
    assert tree("p.foo") == "(p. foo)"
    assert tree("a.b: 34") == "(a. b: 34)"
    assert tree("resend.+ 3") == "(resend. + 3)"
    assert tree("resend.describe, ' and'") == "((resend. describe) , ' and')"
    send = only("p.foo bar")
    assert send.selector == "bar" and send.receiver.resend == "p"
    assert send.receiver.receiver is None
    with pytest.raises(UvmSyntaxError, match="expected an argument after keyword 'a:'"):
        parse("resend.a:")


def test_returns():
    assert tree("( ^ foo )") == "(|| ^(_ foo))"
    assert tree("( w. ^ foo. )") == "(|| (_ w). ^(_ foo))"
    assert isinstance(only("^ 3"), ast.Return)
    with pytest.raises(UvmSyntaxError, match="'\\^'"):
        parse("( w ^ foo )")


def test_statements_and_dots():
    assert tree("a. b. c") == "(_ a) ;; (_ b) ;; (_ c)"
    assert tree("a. b. c.") == "(_ a) ;; (_ b) ;; (_ c)"
    assert tree("") == ""
    assert tree('"only a comment"\n\n') == ""
    for source in (".", ". ", "a. . b", "(a. . b)", "(.)", "12\n."):
        with pytest.raises(UvmSyntaxError, match="empty statement"):
            parse(source)


def test_line_breaks_end_complete_expressions_at_top_level():
    assert tree("12\n13") == "12 ;; 13"
    assert tree("12\n2\n3\n4.\na. b. c\na. b. c.") == \
        "12 ;; 2 ;; 3 ;; 4 ;; (_ a) ;; (_ b) ;; (_ c) ;; (_ a) ;; (_ b) ;; (_ c)"
    assert tree("'a'\n 'b'\n\n bootstrap foo") == "'a' ;; 'b' ;; ((_ bootstrap) foo)"
    assert tree("x foo\n bar") == "((_ x) foo) ;; (_ bar)"
    with pytest.raises(UvmSyntaxError):
        parse("12 13")


def test_line_breaks_continue_an_unfinished_expression():
    assert tree("x +\n 3") == "((_ x) + 3)"
    assert tree("x foo:\n 3") == "((_ x) foo: 3)"
    assert tree("x foo: 1\n  Bar: 2") == "((_ x) foo: 1 Bar: 2)"
    assert tree('x foo: 1 "c"\n "d" Bar: 2') == "((_ x) foo: 1 Bar: 2)"


def test_line_breaks_are_whitespace_inside_brackets():
    assert tree("(3\n+ 4)") == "(|| (3 + 4))"
    assert tree("[ x\n foo ]") == "[|| ((_ x) foo)]"
    with pytest.raises(UvmSyntaxError):
        parse("( 12\n 13 )")


def test_escaped_line_break_is_whitespace():
    assert tree("3 \\\n+ 4") == "(3 + 4)"
