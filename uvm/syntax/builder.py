"""Parse-tree callbacks that build the AST, plus Self's checks the grammar cannot express.

Lark calls these while it parses (an inline transformer: no intermediate tree), so every
node gets its span from the tokens it was built from. The checks follow Self's parser:
a binary chain uses one operator, a method slot's arity matches its selector, argument
slots live only in methods and blocks, an argument slot has no initialiser, a method never
goes in an assignable slot, and names starting with ``_`` are left to primitives. The file
name for spans comes from :data:`current_file`, set by ``parser.parse`` for each parse.
"""
from __future__ import annotations

import contextvars
from dataclasses import dataclass, replace

from lark import Token, Transformer

from . import ast

current_file: contextvars.ContextVar[str] = contextvars.ContextVar("current_file",
                                                                    default="<input>")


class BuildError(Exception):
    """A check failed at character offset ``pos``."""

    def __init__(self, message: str, pos: int):
        super().__init__(message)
        self.message = message
        self.pos = pos


# --- spans ---------------------------------------------------------------------------------

def _first(x) -> tuple[int, int, int]:
    """(line, col, offset) where a token, node or part begins."""
    if isinstance(x, Token):
        return x.line, x.column, x.start_pos
    return x.span.line, x.span.col, x.span.start


def _last(x) -> int:
    return x.end_pos if isinstance(x, Token) else x.span.end


def span(first, last=None) -> ast.Span:
    """The span from the start of ``first`` to the end of ``last`` (default: ``first``)."""
    line, col, start = _first(first)
    return ast.Span(current_file.get(), line, col, start, _last(first if last is None else last))


def _pos(x) -> int:
    return _first(x)[2]


# --- intermediate values -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class KeywordParts:
    """``foo: a Bar: b`` without its receiver."""
    span: ast.Span
    keywords: tuple[Token, ...]
    args: tuple[ast.Expr, ...]

    @property
    def selector(self) -> str:
        return "".join(k.value for k in self.keywords)


@dataclass(frozen=True, slots=True)
class Code:
    span: ast.Span
    statements: tuple[ast.Stmt, ...]


@dataclass(frozen=True, slots=True)
class ObjectAnnotation:
    """``{} = 'text'`` inside a slot list."""
    span: ast.Span
    text: str


@dataclass(frozen=True, slots=True)
class SlotList:
    span: ast.Span
    slots: tuple[ast.Slot, ...]
    annotation: str | None


def _is_binary_selector(selector: str) -> bool:
    return not (selector[0].isalpha() or selector[0] == "_")


def _is_method(value) -> bool:
    return isinstance(value, ast.ObjectLiteral) and value.code is not None


def _argument_count(method: ast.ObjectLiteral) -> int:
    return sum(1 for s in method.slots if s.kind is ast.SlotKind.ARGUMENT)


def _check_slot_name(tok: Token, name: str) -> None:
    if name.startswith("_"):
        raise BuildError(f"slot names starting with '_' are reserved for primitives: {name!r}",
                         tok.start_pos)


class AstBuilder(Transformer):
    """One method per grammar rule or alias; each returns an AST node or a part of one."""

    # --- programs and statements -------------------------------------------------------
    def start(self, children) -> list:
        return children

    def code(self, children) -> Code:
        return Code(span(children[0], children[-1]), tuple(children))

    def return_stmt(self, children) -> ast.Return:
        caret, value = children
        return ast.Return(span(caret, value), value)

    # --- primaries and unary sends -----------------------------------------------------
    def integer(self, children) -> ast.Integer:
        return ast.Integer(span(children[0]), children[0].value)

    def float(self, children) -> ast.Float:
        return ast.Float(span(children[0]), children[0].value)

    def string(self, children) -> ast.String:
        return ast.String(span(children[0]), children[0].value)

    def python(self, children) -> ast.PythonMethod:
        return ast.PythonMethod(span(children[0]), children[0].value)

    def self_ref(self, children) -> ast.Self:
        return ast.Self(span(children[0]))

    def implicit_unary(self, children) -> ast.Send:
        return ast.Send(span(children[0]), None, children[0].value, at=span(children[0]))

    def resend_unary(self, children) -> ast.Send:
        delegate, name = children
        return ast.Send(span(delegate, name), None, name.value, (), delegate.value, span(name))

    def unary_send(self, children) -> ast.Send:
        receiver, name = children
        return ast.Send(span(receiver, name), receiver, name.value, at=span(name))

    # --- binary sends -------------------------------------------------------------------
    def binop(self, children) -> Token:
        return children[0]

    @staticmethod
    def _check_same_operator(left, op: Token) -> None:
        if (isinstance(left, ast.Send) and _is_binary_selector(left.selector)
                and left.selector != op.value):
            raise BuildError(f"different binary operators {left.selector!r} and {op.value!r} "
                             f"need parentheses", op.start_pos)

    def binary_send(self, children) -> ast.Send:
        left, op, right = children
        self._check_same_operator(left, op)
        return ast.Send(span(left, right), left, op.value, (right,), at=span(op))

    def implicit_binary(self, children) -> ast.Send:
        op, right = children
        return ast.Send(span(op, right), None, op.value, (right,), at=span(op))

    def resend_binary(self, children) -> ast.Send:
        delegate, op, right = children
        return ast.Send(span(delegate, right), None, op.value, (right,), delegate.value, span(op))

    def open_binary(self, children) -> ast.Send:
        if len(children) == 3:
            left, op, right = children
            self._check_same_operator(left, op)
            return ast.Send(span(left, right), left, op.value, (right,), at=span(op))
        op, right = children
        return ast.Send(span(op, right), None, op.value, (right,), at=span(op))

    # --- keyword sends ------------------------------------------------------------------
    def keyword_last(self, children) -> KeywordParts:
        return KeywordParts(span(children[0]), (), (children[0],))

    def keyword_more(self, children) -> KeywordParts:
        arg, cap, rest = children
        return KeywordParts(span(arg, rest), (cap,) + rest.keywords, (arg,) + rest.args)

    def keyword_parts(self, children) -> KeywordParts:
        first, rest = children
        return KeywordParts(span(first, rest), (first,) + rest.keywords, rest.args)

    def keyword_send(self, children) -> ast.Send:
        receiver, parts = children
        return ast.Send(span(receiver, parts), receiver, parts.selector, parts.args,
                        at=span(parts.keywords[0]))

    def implicit_keyword(self, children) -> ast.Send:
        parts = children[0]
        return ast.Send(parts.span, None, parts.selector, parts.args, at=span(parts.keywords[0]))

    def resend_keyword(self, children) -> ast.Send:
        delegate, parts = children
        return ast.Send(span(delegate, parts), None, parts.selector, parts.args, delegate.value,
                        span(parts.keywords[0]))

    # --- objects and blocks -------------------------------------------------------------
    def empty_object(self, children) -> ast.ObjectLiteral:
        return ast.ObjectLiteral(span(children[0], children[-1]), (), None)

    def data_object(self, children) -> ast.ObjectLiteral:
        lpar, slots, rpar = children
        if any(s.kind is ast.SlotKind.ARGUMENT for s in slots.slots):
            raise BuildError("an object without code cannot have argument slots",
                             _pos(slots))
        return ast.ObjectLiteral(span(lpar, rpar), slots.slots, None, slots.annotation)

    def code_object(self, children) -> ast.ObjectLiteral:
        lpar, slots, code, rpar = children
        return ast.ObjectLiteral(span(lpar, rpar), slots.slots, code.statements,
                                 slots.annotation)

    def paren_object(self, children) -> ast.ObjectLiteral:
        lpar, code, rpar = children
        return ast.ObjectLiteral(span(lpar, rpar), (), code.statements)

    def block(self, children) -> ast.Block:
        slots: tuple[ast.Slot, ...] = ()
        statements: tuple[ast.Stmt, ...] = ()
        for child in children[1:-1]:
            if isinstance(child, SlotList):
                if child.annotation is not None:
                    raise BuildError("a block cannot have an object annotation '{} = ...'",
                                     _pos(child))
                slots = child.slots
            else:
                statements = child.statements
        return ast.Block(span(children[0], children[-1]), slots, statements)

    def smalltalk_block(self, children) -> ast.Block:
        args = [c for c in children if isinstance(c, Token) and c.type == "ARG"]
        code = children[-2] if isinstance(children[-2], Code) else None
        slots = tuple(self._argument(a) for a in args)
        _check_unique(slots)
        return ast.Block(span(children[0], children[-1]), slots,
                         code.statements if code else ())

    # --- slot lists ---------------------------------------------------------------------
    def slot_list(self, children) -> SlotList:
        open_bar, entries, close_bar = children
        slots: list[ast.Slot] = []
        annotation = None
        for entry in entries:
            if isinstance(entry, ObjectAnnotation):
                if annotation is not None:
                    raise BuildError("an object can have only one '{} = ...' annotation",
                                     _pos(entry))
                annotation = entry.text
            else:
                slots.append(entry)
        _check_unique(slots)
        return SlotList(span(open_bar, close_bar), tuple(slots), annotation)

    def slot_entries(self, children) -> list:
        flat: list = []
        for child in children:
            if isinstance(child, list):
                flat.extend(child)
            else:
                flat.append(child)
        return flat

    slot_entry = slot_entries

    def group(self, children) -> list:
        _, text, entries, _ = children
        return [replace(e, annotations=(text.value,) + e.annotations)
                if isinstance(e, ast.Slot) else e for e in entries]

    def object_annotation(self, children) -> ObjectAnnotation:
        marker, _, text = children
        return ObjectAnnotation(span(marker, text), text.value)

    # --- slots ----------------------------------------------------------------------------
    @staticmethod
    def _argument(tok: Token) -> ast.Slot:
        _check_slot_name(tok, tok.value)
        return ast.Slot(span(tok), tok.value, ast.SlotKind.ARGUMENT)

    def slot_nil(self, children) -> ast.Slot:
        name = children[0]
        _check_slot_name(name, name.value)
        return ast.Slot(span(name), name.value, ast.SlotKind.ASSIGNABLE)

    def parent_nil(self, children) -> ast.Slot:
        name, star = children
        _check_slot_name(name, name.value)
        return ast.Slot(span(name, star), name.value, ast.SlotKind.ASSIGNABLE, is_parent=True)

    def _assignable(self, name: Token, arrow: Token, value, parent: bool) -> ast.Slot:
        _check_slot_name(name, name.value)
        if _is_method(value) or isinstance(value, ast.PythonMethod):
            raise BuildError("cannot put a method in an assignable slot ('<-'); use '=' for a "
                             "method, or write '(| |)' for an empty object", arrow.start_pos)
        return ast.Slot(span(name, value), name.value, ast.SlotKind.ASSIGNABLE, value, parent)

    def slot_assignable(self, children) -> ast.Slot:
        name, arrow, value = children
        return self._assignable(name, arrow, value, False)

    def parent_assignable(self, children) -> ast.Slot:
        name, _, arrow, value = children
        return self._assignable(name, arrow, value, True)

    def _constant(self, name: Token, value, parent: bool) -> ast.Slot:
        _check_slot_name(name, name.value)
        _check_arity(name, name.value, value, 0)
        return ast.Slot(span(name, value), name.value, ast.SlotKind.CONSTANT, value, parent)

    def slot_constant(self, children) -> ast.Slot:
        name, _, value = children
        return self._constant(name, value, False)

    def parent_constant(self, children) -> ast.Slot:
        name, _, _, value = children
        return self._constant(name, value, True)

    def slot_argument(self, children) -> ast.Slot:
        return self._argument(children[0])

    def slot_argument_initialised(self, children) -> ast.Slot:
        raise BuildError(f"an argument slot ':{children[0].value}' cannot have an initial value",
                         children[1].start_pos)

    def binary_slot_formal(self, children) -> ast.Slot:
        op, formal, _, value = children
        return _method_slot(op, op.value, [formal], value)

    def binary_slot(self, children) -> ast.Slot:
        op, _, value = children
        _check_arity(op, op.value, value, 1)
        return ast.Slot(span(op, value), op.value, ast.SlotKind.CONSTANT, value)

    def binary_slot_nil(self, children) -> ast.Slot:
        op = children[0]
        raise BuildError(f"slot {op.value!r} takes an argument, so it needs a method: write "
                         f"'{op.value} arg = ( ... )'", op.start_pos)

    def keyword_slot_formals(self, children) -> ast.Slot:
        *parts, _, value = children
        keywords, formals = parts[0::2], parts[1::2]
        selector = "".join(k.value for k in keywords)
        return _method_slot(keywords[0], selector, formals, value)

    def keyword_slot(self, children) -> ast.Slot:
        *keywords, _, value = children
        selector = "".join(k.value for k in keywords)
        _check_slot_name(keywords[0], selector)
        _check_arity(keywords[0], selector, value, len(keywords))
        return ast.Slot(span(keywords[0], value), selector, ast.SlotKind.CONSTANT, value)

    def keyword_slot_nil(self, children) -> ast.Slot:
        selector = "".join(k.value for k in children)
        raise BuildError(f"slot {selector!r} takes arguments, so it needs a method: write "
                         f"'{selector} = (| :arg | ... )' or give the argument names inline",
                         children[0].start_pos)


def _check_unique(slots) -> None:
    seen: set[str] = set()
    for s in slots:
        if s.name in seen:
            raise BuildError(f"duplicate slot {s.name!r}", s.span.start)
        seen.add(s.name)


def _check_arity(where: Token, selector: str, value, wanted: int) -> None:
    """The value of a slot named ``selector`` (without inline formals) must take as many
    arguments as the selector implies; only a method (a literal with code) takes any."""
    if isinstance(value, ast.PythonMethod):
        return                          # its arity is the Python function's, checked at run time
    if not _is_method(value):
        if wanted:
            raise BuildError(f"slot {selector!r} takes {wanted} argument{'s' * (wanted > 1)}, "
                             f"but its value is not a method", where.start_pos)
        return
    got = _argument_count(value)
    if got != wanted:
        raise BuildError(f"slot {selector!r} takes {wanted} argument{'s' * (wanted != 1)} but "
                         f"its method declares {got}", where.start_pos)


def _method_slot(first: Token, selector: str, formals: list[Token], value) -> ast.Slot:
    """A method slot written with inline argument names: the names become the method's
    leading argument slots, as if written ``sel = (| :a. :b | ...)``."""
    _check_slot_name(first, selector)
    if isinstance(value, ast.PythonMethod):
        raise BuildError(f"a Python method takes its argument names from its 'def': write "
                         f"'{selector} = py'''...''''", first.start_pos)
    if not _is_method(value):
        raise BuildError(f"slot {selector!r} names arguments, so its value must be a method "
                         f"'( ... )'", first.start_pos)
    if _argument_count(value):
        raise BuildError("a method cannot declare argument slots when the slot name already "
                         "names its arguments", value.span.start)
    arguments = tuple(AstBuilder._argument(f) for f in formals)
    slots = arguments + value.slots
    _check_unique(slots)
    method = replace(value, slots=slots)
    return ast.Slot(span(first, value), selector, ast.SlotKind.CONSTANT, method)
