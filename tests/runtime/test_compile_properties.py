"""Property: the compiler turns every well-formed program into Python, or refuses it with a
UVM error -- it never raises a host error or emits invalid Python (issue 17, item 2: `5
value` once compiled to `5.fn()`).

Programs are drawn as syntax trees (the shapes the parser builds): literals of every kind
as receivers and arguments, the selectors the compiler inlines (conditionals, loops,
`value...`, arithmetic, `,`) with blocks and non-blocks, blocks with arguments and locals,
non-local returns, code literals, data objects with method slots, and resends. Methods in
data objects are compiled too (the compiler compiles them on first use)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uvm.runtime.compiler import compile_method, compile_program
from uvm.runtime.errors import UvmError
from uvm.runtime.objects import Method
from uvm.syntax import ast as A

SPAN = A.Span("<property>", 1, 1, 0, 0)
NAMES = ["x", "y", "value", "size", "foo", "self_", "printString"]
UNARY = ["value", "whileTrue", "whileFalse", "repeat", "size", "printString", "foo", "x"]
BINARY = ["+", "-", "*", "<", "<=", "=", "!=", ",", "&&", "||", "%", "/"]
KEYWORD = {
    "value:": 1, "value:With:": 2, "value:With:With:": 3, "ifTrue:": 1, "ifFalse:": 1,
    "ifTrue:False:": 2, "ifFalse:True:": 2, "and:": 1, "or:": 1, "whileTrue:": 1,
    "whileFalse:": 1, "to:Do:": 2, "to:By:Do:": 3, "timesRepeat:": 1, "at:Put:": 2,
    "x:": 1, "foo:": 1, "ifNil:IfNotNil:": 2, "do:": 1,
}

integers = st.one_of(st.integers(-5, 5), st.sampled_from([2 ** 70, -(10 ** 30), 0]))
leaves = st.one_of(
    integers.map(lambda v: A.Integer(SPAN, v)),
    st.sampled_from([0.5, -2.0, 1e300]).map(lambda v: A.Float(SPAN, v)),
    st.sampled_from(["", "a", "it's"]).map(lambda v: A.String(SPAN, v)),
    st.just(A.Self(SPAN)),
    st.sampled_from(NAMES).map(lambda n: A.Send(SPAN, None, n)),
)


def slot(name, kind, value=None, parent=False):
    return A.Slot(SPAN, name, kind, value, parent)


def block_of(draw, expr, depth):
    args = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True))
    local = draw(st.booleans())
    slots = tuple(slot(n, A.SlotKind.ARGUMENT) for n in args)
    if local:
        slots += (slot("t", A.SlotKind.ASSIGNABLE, draw(expr(depth + 1))),)
    code = draw(st.lists(statement(expr, depth + 1, returns=True), max_size=3))
    return A.Block(SPAN, slots, tuple(code))


@st.composite
def expression(draw, depth=0):
    if depth > 3:
        return draw(leaves)
    sub = lambda d: expression(d)  # noqa: E731
    kind = draw(st.sampled_from(["leaf", "unary", "binary", "keyword", "block", "code",
                                 "object", "assign"]))
    if kind == "leaf":
        return draw(leaves)
    if kind == "unary":
        receiver = draw(st.one_of(st.none(), sub(depth + 1)))
        return A.Send(SPAN, receiver, draw(st.sampled_from(UNARY)))
    if kind == "binary":
        receiver = draw(st.one_of(st.none(), sub(depth + 1)))
        return A.Send(SPAN, receiver, draw(st.sampled_from(BINARY)), (draw(sub(depth + 1)),))
    if kind == "keyword":
        selector = draw(st.sampled_from(sorted(KEYWORD)))
        receiver = draw(st.one_of(sub(depth + 1), st.builds(lambda: block_of(draw, sub, depth))))
        args = []
        for _ in range(KEYWORD[selector]):
            if draw(st.booleans()):
                args.append(block_of(draw, sub, depth))
            else:
                args.append(draw(sub(depth + 1)))
        if selector == "to:By:Do:" and draw(st.booleans()):
            args[1] = A.Integer(SPAN, draw(st.sampled_from([-1, 0, 2])))
        return A.Send(SPAN, receiver, selector, tuple(args))
    if kind == "block":
        return block_of(draw, sub, depth)
    if kind == "code":
        slots = (slot("t", A.SlotKind.ASSIGNABLE, draw(sub(depth + 1))),) if draw(st.booleans()) else ()
        code = draw(st.lists(statement(sub, depth + 1, returns=False), min_size=1, max_size=3))
        return A.ObjectLiteral(SPAN, slots, tuple(code))
    if kind == "object":
        slots = [slot("parent", A.SlotKind.CONSTANT, A.Send(SPAN, None, "lobby"), True),
                 slot("x", A.SlotKind.ASSIGNABLE, draw(sub(depth + 1)))]
        if draw(st.booleans()):
            args = draw(st.integers(0, 1))
            method_slots = tuple(slot("n", A.SlotKind.ARGUMENT) for _ in range(args))
            body = draw(st.lists(statement(sub, depth + 1, returns=True), min_size=1, max_size=3))
            if draw(st.booleans()):
                body.append(A.Send(SPAN, None, "foo", (), "resend"))
            name = "m:" if args else "m"
            slots.append(slot(name, A.SlotKind.CONSTANT, A.ObjectLiteral(SPAN, method_slots, tuple(body))))
        return A.ObjectLiteral(SPAN, tuple(slots), None)
    # an assignment to a name (a local when one is in scope, else a send)
    return A.Send(SPAN, None, draw(st.sampled_from(["x:", "t:", "a:"])), (draw(sub(depth + 1)),))


def statement(expr, depth, returns):
    plain = expr(depth)
    if not returns:
        return plain
    return st.one_of(plain, expr(depth).map(lambda e: A.Return(SPAN, e)))


def methods_in(node):
    """The method literals inside a tree (the compiler compiles them on first use)."""
    stack, found = [node], []
    while stack:
        n = stack.pop()
        if isinstance(n, A.Slot):
            if n.is_method:
                found.append((n.name, n.value))
            if n.value is not None:
                stack.append(n.value)
        elif isinstance(n, (A.ObjectLiteral, A.Block)):
            stack.extend(n.slots)
            stack.extend(n.code or ())
        elif isinstance(n, A.Send):
            stack.extend(([n.receiver] if n.receiver is not None else []) + list(n.args))
        elif isinstance(n, A.Return):
            stack.append(n.value)
    return found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statement(expression, 0, returns=False), min_size=1, max_size=4))
def test_compiling_a_well_formed_program_never_raises_a_host_error(statements):
    program = A.Program(SPAN, tuple(statements), "")
    try:
        compile_program(program)
    except UvmError:
        pass  # the compiler may refuse (a resend outside a method...), in UVM's words
    for name, literal in methods_in(program):
        method = Method(name, "uvm", "", [s.name for s in literal.slots
                                          if s.kind is A.SlotKind.ARGUMENT])
        from uvm.runtime import compiler
        compiler._pending_ast[id(method)] = (method, literal, "")
        try:
            compile_method(method)
        except UvmError:
            pass
