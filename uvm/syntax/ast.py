"""The UVM abstract syntax tree: plain frozen dataclasses that keep their source spans.

The parser produces these; the compiler (``uvm.runtime.compiler``) consumes them. The tree
is normalised so that later stages see one shape per concept:

* a keyword or binary *method slot* written with inline formals (``at: i Put: v = (...)``)
  becomes a slot whose value is a ``ObjectLiteral`` whose first slots are the ``ARGUMENT``
  slots ``i`` and ``v`` -- exactly as if it had been written ``at:Put: = (| :i. :v | ...)``;
* a send without a receiver has ``receiver=None`` (the implicit receiver);
* ``resend.foo`` and the directed ``p.foo`` are ``Send`` nodes with ``resend`` set.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node came from: 1-based line and column, plus 0-based character offsets
    into the source text (``source[start:end]`` is the node's text)."""
    file: str
    line: int
    col: int
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


# --- expressions -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Integer(Node):
    value: int


@dataclass(frozen=True, slots=True)
class Float(Node):
    value: float


@dataclass(frozen=True, slots=True)
class String(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Self(Node):
    """The reserved word ``self``."""


@dataclass(frozen=True, slots=True)
class Send(Node):
    """A message send. ``receiver`` is None for the implicit receiver.

    ``selector`` is the full selector: ``foo``, ``+``, ``at:Put:``, ``_AddSlots:``.
    ``resend`` is None for an ordinary send, ``"resend"`` for ``resend.foo`` and the parent
    slot's name for a directed resend ``p.foo`` (receiver is then None). ``span`` covers
    the whole send; ``at`` is the selector (its first keyword part)."""
    receiver: "Expr | None"
    selector: str
    args: tuple["Expr", ...] = ()
    resend: str | None = None
    at: Span | None = None  # the selector itself (where errors in this send point)


@dataclass(frozen=True, slots=True)
class ObjectLiteral(Node):
    """``( | slots | code )``. ``code`` is None when the literal has no code (a data object:
    ``()``, ``(| x <- 1 |)``); otherwise the statements (possibly empty is not possible:
    ``( )`` has no code). In a slot initialiser a literal with code is a method; anywhere
    else it runs at once with its slots as locals."""
    slots: tuple["Slot", ...]
    code: "tuple[Stmt, ...] | None"
    annotation: str | None = None


@dataclass(frozen=True, slots=True)
class Block(Node):
    """``[ | :a. b <- 1 | code ]`` -- a closure. ``code`` may be empty (``[]``)."""
    slots: tuple["Slot", ...]
    code: tuple["Stmt", ...]


@dataclass(frozen=True, slots=True)
class PythonMethod(Node):
    """A Python method literal ``py'''def f(self, x): ...'''`` (only valid as the value of a
    constant slot). ``source`` is the dedented Python text."""
    source: str


Expr = Integer | Float | String | Self | Send | ObjectLiteral | Block | PythonMethod


@dataclass(frozen=True, slots=True)
class Return(Node):
    """``^ expr`` -- a statement, not an expression."""
    value: Expr


Stmt = Expr | Return


# --- slots -------------------------------------------------------------------------------

class SlotKind(Enum):
    CONSTANT = "="      # name = expr   (read-only)
    ASSIGNABLE = "<-"   # name <- expr, or bare `name` (initialised to nil: value None)
    ARGUMENT = ":"      # :name          (methods and blocks only)


@dataclass(frozen=True, slots=True)
class Slot(Node):
    """One slot of an object literal, block or method.

    ``name`` is the slot's selector (``x``, ``+``, ``at:Put:``); for an argument slot it is
    the argument's name without the colon. ``value`` is None for a bare ``name`` slot and
    for argument slots. ``annotations`` lists the annotation strings of the ``{ ... }``
    groups enclosing the slot, outermost first."""
    name: str
    kind: SlotKind
    value: Expr | None = None
    is_parent: bool = False
    annotations: tuple[str, ...] = ()

    @property
    def is_method(self) -> bool:
        """A constant slot holding a literal with code (or a Python method) is a method."""
        return self.kind is SlotKind.CONSTANT and (
            isinstance(self.value, PythonMethod)
            or (isinstance(self.value, ObjectLiteral) and self.value.code is not None))


@dataclass(frozen=True, slots=True)
class Program(Node):
    """A whole parsed text: a file, a ``-c`` string or one REPL input.
    ``source`` is the full text (so methods can keep their own source)."""
    statements: tuple[Stmt, ...]
    source: str = field(repr=False, default="")
