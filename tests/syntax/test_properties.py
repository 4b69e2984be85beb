"""Property: for any text, parse() returns a Program or raises UvmSyntaxError with a real
position -- never another exception -- and is_complete() always answers a bool."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvm.syntax import UvmSyntaxError, ast, is_complete, parse

VALID = [
    "(3 + 4) printLine.\n-5 abs printLine.\n16rFF printLine.",
    "lobby _AddSlots: (| point = (| parent* = traits clonable. x <- 0. y <- 0 |) |).",
    "(| sum <- 0 | 1 to: 10 Do: [| :i | sum: sum + i]. sum) printLine.",
    "lobby _AddSlots: (| c = (| p* = traits clonable. at: i Put: v = (v). + o = (o) |) |).",
    "([:a :b | a + b] value: 1 With: 2) printLine.\n'it\\'s' printLine",
    "(| f = py'''\n    def f(self, x):\n        return x\n''' |)",
    "dog describe = (resend.describe, ' and ', speak). p.foo: 3",
    "(| {} = 'note'. { 'Category: a' x. { 'b' y } } z |)\n12\n13",
    "x ifTrue: [ ^ 1 ] False: [ 2 ]. \"comment \\\" here\" 3.14. 2e-3",
]

PIECES = ["(", ")", "[", "]", "{", "}", "{}", "|", "||", ".", ":", "^", "'", "\"", "\\", "-",
          "+", "*", "=", "<-", "->", ",", " ", "\n", "\t", "\r", "x", "foo:", "Bar:", ":a",
          "_", "_Prim", "self", "resend.", "p.", "3", "-4", "16r", "1.5", "e", "py'''", "'''",
          "ab'c", "\"c\"", "0x", "é", "\x00", "\x7f"]


def check(text: str) -> None:
    try:
        program = parse(text, "prop.uvm")
    except UvmSyntaxError as err:
        assert err.line >= 1 and err.col >= 1, err
        assert err.file == "prop.uvm"
        assert not err.message.startswith("internal"), err
        if text:
            assert err.source_line == text.split("\n")[err.line - 1]
        err.pretty()
    else:
        assert isinstance(program, ast.Program) and program.source == text
    assert is_complete(text) in (True, False)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_arbitrary_text(text):
    check(text)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_arbitrary_token_soup(text):
    check(text)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate"]))
        if action == "insert":
            text = text[:pos] + draw(st.sampled_from(PIECES)) + text[pos:]
        elif action == "delete":
            end = draw(st.integers(pos, min(len(text), pos + 4)))
            text = text[:pos] + text[end:]
        else:
            start = draw(st.integers(0, len(text)))
            text = text[:pos] + text[start:start + 6] + text[pos:]
    return text


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_of_valid_programs(text):
    check(text)


def test_the_valid_programs_are_valid():
    for text in VALID:
        assert isinstance(parse(text), ast.Program)
