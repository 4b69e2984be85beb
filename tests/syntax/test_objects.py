"""Objects, blocks, every slot form, annotations and Python method literals."""
import pytest

from uvm.syntax import UvmSyntaxError, ast, parse

from .helpers import only, tree

A, C, ARG = ast.SlotKind.ASSIGNABLE, ast.SlotKind.CONSTANT, ast.SlotKind.ARGUMENT


def test_object_shapes():
    assert only("()") == ast.ObjectLiteral(only("()").span, (), None)
    assert tree("(| |)") == "(||)"
    assert tree("(||)") == "(||)"
    assert tree("( | | )") == "(||)"
    assert tree("(| asd | )") == "(|asd|)"
    assert only("(| a | )").code is None
    assert tree("( 3 )") == "(|| 3)"
    assert tree("(| x <- 1 | x + 1)") == "(|x <- 1| ((_ x) + 1))"


def test_block_shapes():
    assert tree("[]") == "[|| ]"
    assert tree("[||]") == "[|| ]"
    assert tree("[ |a. b|]") == "[|a. b| ]"
    assert tree("[| a. b. c. |]") == "[|a. b. c| ]"
    assert tree("[ | :x. :y | x + y ]") == "[|:x. :y| ((_ x) + (_ y))]"
    assert tree("[ :x :y | x + y ]") == "[|:x. :y| ((_ x) + (_ y))]"
    assert tree("[:x| x]") == "[|:x| (_ x)]"
    assert tree("[ | :x | ]") == "[|:x| ]"
    assert only("[ :x | ]").code == ()
    with pytest.raises(UvmSyntaxError):
        parse("[ |  ]")


def test_slot_forms():
    assert tree("(| a |)") == "(|a|)"
    assert tree("(| a <- 3 |)") == "(|a <- 3|)"
    assert tree("(| a = 3 |)") == "(|a = 3|)"
    assert tree("(| p* = 3 |)") == "(|p* = 3|)"
    assert tree("(| p* <- 3 |)") == "(|p* <- 3|)"
    assert tree("(| p* |)") == "(|p*|)"
    assert tree("(| m: = (| :a | a) |)") == "(|m: = (|:a| (_ a))|)"
    with pytest.raises(UvmSyntaxError, match="argument slot ':a' outside a method or block"):
        parse("(| :a | a)")  # code in expression position runs at once: no one passes :a
    assert tree("(| a = 3. b <- 4. c |)") == "(|a = 3. b <- 4. c|)"
    slots = only("(| a. b <- 1. c = 2. p* = 3. q* <- 4 |)").slots
    assert [(s.name, s.kind, s.is_parent) for s in slots] == [
        ("a", A, False), ("b", A, False), ("c", C, False), ("p", C, True), ("q", A, True)]
    assert slots[0].value is None


def test_method_slots():
    assert tree("(| foo = (3) |)") == "(|foo = (|| 3)|)"
    assert only("(| foo = (3) |)").slots[0].is_method
    assert not only("(| foo = 3 |)").slots[0].is_method
    assert tree("(| a = (2 + 3) snort |)") == "(|a = ((|| (2 + 3)) snort)|)"


def test_inline_formals_become_leading_argument_slots():
    inline = only("(| at: i Put: v = (| t | v) |)").slots[0]
    explicit = only("(| at:Put: = (| :i. :v. t | v) |)").slots[0]
    assert inline.name == explicit.name == "at:Put:"
    assert [(s.name, s.kind) for s in inline.value.slots] == [("i", ARG), ("v", ARG), ("t", A)]
    assert tree("(| at: i Put: v = (v) |)") == tree("(| at:Put: = (| :i. :v | v) |)")
    assert tree("(| + other = (other) |)") == "(|+ = (|:other| (_ other))|)"
    assert tree("(| + = (| :x | x) |)") == "(|+ = (|:x| (_ x))|)"
    assert tree("(| = c = (c) |)") == "(|= = (|:c| (_ c))|)"
    assert tree("(| @ d = ( self) |)") == "(|@ = (|:d| self)|)"
    assert tree("(| a:B: = (|:z. :x| 12) |)") == "(|a:B: = (|:z. :x| 12)|)"
    assert tree("(| a: b = (self) |)") == "(|a: = (|:b| self)|)"


@pytest.mark.parametrize("source, message", [
    ("(| do:Snort: = (self) |)", "takes 2 arguments but its method declares 0"),
    ("(| a = (|:s| s) |)", "takes 0 arguments but its method declares 1"),
    ("(| a: b = (|c|) |)", "must be a method"),
    ("(| + = 12 |)", "not a method"),
    ("(| @ |)", "needs a method"),
    ("(| a: |)", "needs a method"),
    ("(| @ = (self) |)", "takes 1 argument but its method declares 0"),
    ("(| @ d = (|:x| self) |)", "cannot declare argument slots"),
    ("(| :asdf |)", "without code cannot have argument"),
    ("(|:a|)", "without code cannot have argument"),
    ("(| :a = 2 |)", "cannot have an initial value"),
    ("(| _foo |)", "reserved for primitives"),
    ("(| _foo: x = (x) |)", "reserved for primitives"),
    ("(| a <- (self) |)", "cannot put a method in an assignable slot"),
    ("(| a. a |)", "duplicate slot"),
    ("(| at: x Put: x = (x) |)", "duplicate slot"),
])
def test_slot_checks(source, message):
    with pytest.raises(UvmSyntaxError, match=message):
        parse(source)


@pytest.mark.parametrize("source", [
    "(| 2 = 3 |)", "(| a: 3 |)", "(| a:B:3 |)", "(| a: snog b: from |)", "(| a = |)",
    "(| . |)", "(|a. b. c.|)", "( | {} snort = 'a' |)", "( | {} | )", "(| {} <- 'a' |)",
    "(| { } |)", "(| {3 s } |)", "( | @ a: = ( self) | )", "( | @ ax  a = ( self) | )",
    "(| a b |)", "a + {}", "{ 'a' b }", "x <- 3",
])
def test_malformed_slot_lists(source):
    with pytest.raises(UvmSyntaxError):
        parse(source)


def test_annotations_nest_outermost_first():
    slots = only("(| a. {'b' c. d {'e' f}. g. } h|)").slots
    assert [(s.name, s.annotations) for s in slots] == [
        ("a", ()), ("c", ("b",)), ("d", ("b",)), ("f", ("b", "e")), ("g", ("b",)), ("h", ())]
    method = only("(| a:B: = (|\n{'arg1' :a {'more' :b}}| self) |)").slots[0].value
    assert [(s.name, s.kind, s.annotations) for s in method.slots] == [
        ("a", ARG, ("arg1",)), ("b", ARG, ("arg1", "more"))]


def test_object_annotation():
    obj = only("(| {} = 'ModuleInfo: x'. a |)")
    assert obj.annotation == "ModuleInfo: x" and [s.name for s in obj.slots] == ["a"]
    assert only("(| {} = 'snort' |)").annotation == "snort"
    assert only("(| a |)").annotation is None
    with pytest.raises(UvmSyntaxError):
        parse("(| {} = 'a'. {} = 'b' |)")


def test_self_module_form():
    source = (" bootstrap addSlotsTo: bootstrap stub -> 'traits' -> () From: ( | {\n"
              "         'Category: comparing\\x7fModuleInfo: Module: c'\n"
              "         = c = ( |\n            | \n            == c ifTrue: [^ true ].\n"
              "            c equalsCollection: self).\n        } | ) \n")
    send = only(source)
    assert send.selector == "addSlotsTo:From:"
    slot = send.args[1].slots[0]
    assert slot.name == "=" and slot.annotations == ("Category: comparing\x7fModuleInfo: Module: c",)
    assert [s.kind for s in slot.value.slots] == [ARG]


PY = "(| f = py'''\n    def f(self, x):\n        return x + 1\n''' |)"


def test_python_method_literal():
    slot = only(PY).slots[0]
    assert isinstance(slot.value, ast.PythonMethod)
    assert slot.value.source == "def f(self, x):\n    return x + 1\n"
    assert slot.is_method
    assert tree("(| at:Put: = py'''def at_Put_(self, i, v): pass''' |)") == \
        "(|at:Put: = py'def at_Put_(self, i, v): pass'|)"
    assert tree("(| + = py'''def plus(self, o): pass''' |)") == \
        "(|+ = py'def plus(self, o): pass'|)"


def test_python_method_literal_leading_blank_lines_are_dropped():
    slot = only("(| f = py'''\n\n   \n  def f(self):\n    pass''' |)").slots[0]
    assert slot.value.source == "def f(self):\n  pass"


@pytest.mark.parametrize("source", [
    "py'''x'''", "(| f <- py'''x''' |)", "3 foo: py'''x'''", "(| f = (py'''x''') |)",
    "[ py'''x''' ]", "(| at: i Put: v = py'''x''' |)", "(| f = py'''x |)",
])
def test_python_method_literal_only_as_a_constant_slot_value(source):
    with pytest.raises(UvmSyntaxError):
        parse(source)
