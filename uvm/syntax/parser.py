"""``parse()``: source text to ``ast.Program``, with every failure a ``UvmSyntaxError``.

The Lark LALR parser is built once per process, on first use, from ``grammar.lark`` and
cached on disk (Lark's cache, under the user cache directory) so that a short-lived
``uvm --check FILE`` process starts quickly. Lark's exceptions and our own scanner and
builder errors are all turned into ``UvmSyntaxError`` with file, line, column and the
offending line; messages say what was expected in words, not terminal names.
"""
from __future__ import annotations

import gc
import os
import sys
import threading
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput, UnexpectedToken

from . import ast
from .builder import AstBuilder, BuildError, current_file
from .errors import UvmSyntaxError
from .lexer import OPERAND_END, Scanner, ScanError, UvmLexer

_GRAMMAR = Path(__file__).with_name("grammar.lark")
_lock = threading.Lock()
_parser: Lark | None = None


def _cache_option() -> str | bool:
    """A cache file under the user's cache directory, or Lark's default temp file."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "uvm")
    try:
        os.makedirs(folder, exist_ok=True)
        if os.access(folder, os.W_OK):
            return os.path.join(folder, f"grammar-py{sys.version_info[0]}{sys.version_info[1]}"
                                        ".lark-cache")
    except OSError:
        pass
    return True


def get_parser() -> Lark:
    """The process-wide Lark parser, built (or loaded from the cache) on first use."""
    global _parser
    if _parser is None:
        with _lock:
            if _parser is None:
                _parser = Lark(_GRAMMAR.read_text(encoding="utf-8"), parser="lalr",
                               lexer=UvmLexer, transformer=AstBuilder(),
                               cache=_cache_option(), maybe_placeholders=False)
    return _parser


def parse(source: str, filename: str = "<input>") -> ast.Program:
    """Parse a whole program (a file, a ``-c`` string or one REPL input)."""
    scanner = Scanner(source)
    token = current_file.set(filename)
    collecting = gc.isenabled()  # no cyclic GC while the tree grows: it only costs time
    gc.disable()
    try:
        statements = get_parser().parse(scanner)
        _check_placement(statements)
    except ScanError as err:
        raise _error(scanner, filename, err.message, err.pos) from None
    except BuildError as err:
        raise _error(scanner, filename, err.message, err.pos) from None
    except UnexpectedToken as err:
        raise _unexpected(scanner, filename, err) from None
    except UnexpectedInput as err:          # not produced by our lexer, but be safe
        raise _error(scanner, filename, str(err).strip().split("\n")[0],
                     getattr(err, "pos_in_stream", 0) or 0) from None
    except RecursionError:
        raise _error(scanner, filename, "the program is nested too deeply", 0) from None
    except Exception as err:               # a bug here must still look like a syntax error
        raise _error(scanner, filename, f"internal parser error: {type(err).__name__}: {err}",
                     0) from err
    finally:
        current_file.reset(token)
        if collecting:
            gc.enable()
    return ast.Program(ast.Span(filename, 1, 1, 0, len(source)), tuple(statements), source)


def _error(scanner: Scanner, filename: str, message: str, pos: int) -> UvmSyntaxError:
    pos = max(0, min(pos, len(scanner.source)))
    line, col = scanner.line_col(pos)
    return UvmSyntaxError(message, filename, line, col, scanner.line_text(line))


# --- where literals may stand ---------------------------------------------------------------

def _check_placement(statements) -> None:
    """Two rules that depend on where a literal stands: a Python method literal is only
    meaningful as the value of a constant slot, and argument slots belong to methods and
    blocks -- a code literal anywhere else runs at once, with nothing to pass them."""
    misplaced: list[int] = []
    arguments: list[ast.Slot] = []
    stack = [(node, False) for node in statements]   # (node, is a method slot's value)
    while stack:
        node, is_method = stack.pop()
        if isinstance(node, ast.PythonMethod):
            if not is_method:
                misplaced.append(node.span.start)
        elif isinstance(node, ast.Slot):
            if node.value is not None:
                stack.append((node.value, node.is_method))
        elif isinstance(node, (ast.ObjectLiteral, ast.Block)):
            if isinstance(node, ast.ObjectLiteral) and node.code is not None and not is_method:
                arguments.extend(s for s in node.slots if s.kind is ast.SlotKind.ARGUMENT)
            stack.extend((s, False) for s in node.slots)
            stack.extend((c, False) for c in node.code or ())
        elif isinstance(node, ast.Send):
            if node.receiver is not None:
                stack.append((node.receiver, False))
            stack.extend((a, False) for a in node.args)
        elif isinstance(node, ast.Return):
            stack.append((node.value, False))
    if misplaced:
        raise BuildError("a Python method literal py'''...''' can only be the value of a "
                         "constant slot: 'name = py'''...''''", min(misplaced))
    if arguments:
        first = min(arguments, key=lambda s: s.span.start)
        raise BuildError(f"argument slot ':{first.name}' outside a method or block: this code "
                         f"runs at once, so nothing can pass it an argument (a method is the "
                         f"value of a slot, 'name: {first.name} = ( ... )'; a block is "
                         f"'[| :{first.name} | ... ]')", first.span.start)


# --- turning Lark's UnexpectedToken into words ---------------------------------------------

_DESCRIPTIONS = {
    "INTEGER": "number {}", "FLOAT": "number {}", "STRING": "string {}",
    "PYTHON": "Python method literal", "SELF": "'self'", "NAME": "name '{}'",
    "KEYWORD": "keyword '{}'", "CAPKEYWORD": "keyword '{}'", "ARG": "argument '{}'",
    "DELEGATE": "'{}'", "OP": "operator '{}'", "STAR": "'*'", "EQUAL": "'='", "ARROW": "'<-'",
    "VBAR": "'|'", "CARET": "'^'", "_DOT": "'.'", "_NL": "end of the line", "LPAR": "'('",
    "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{{'", "RBRACE": "'}}'",
    "EMPTYBRACES": "'{{}}'", "$END": "end of text",
}
_EXPRESSION_START = "INTEGER"        # in `expected` exactly where an expression may start
_BINARY = ("OP", "STAR", "EQUAL")


def _describe(tok) -> str:
    text = str(tok)
    if len(text) > 30:
        text = text[:27] + "..."
    return _DESCRIPTIONS.get(tok.type, "{}").format(text)


def _message(tok, prev, expected: set[str], in_slots: bool) -> str:
    kind = tok.type
    prev_kind = prev.type if prev is not None else None
    found = _describe(tok)
    wants_expression = _EXPRESSION_START in expected
    slot_start = in_slots and "EMPTYBRACES" in expected          # where a slot may begin
    after_slot = in_slots and "LBRACE" in expected and not slot_start
    if prev_kind == "DELEGATE":
        if prev.value == "resend":
            return f"expected a message after 'resend.', found {found}"
        return (f"missing space after '{prev}' ('{prev}' followed directly by a name or "
                f"operator is a directed resend)")
    if kind == "DELEGATE" and tok.value != "resend" and (slot_start or after_slot):
        return f"missing space after '{tok}'"
    if prev_kind in ("KEYWORD", "CAPKEYWORD") and wants_expression:
        return f"expected an argument after keyword '{prev}', found {found}"
    if prev_kind in ("KEYWORD", "CAPKEYWORD") and "NAME" in expected:
        return f"expected an argument name or '=' after '{prev}' in a slot, found {found}"
    if prev_kind in _BINARY and "NAME" in expected and not wants_expression:
        return f"expected an argument name or '=' after '{prev}' in a slot, found {found}"
    if "CAPKEYWORD" in expected and "EQUAL" in expected and "OP" not in expected:
        return f"expected a capitalised keyword or '=' in a slot name, found {found}"
    if expected == {"EQUAL"}:
        return f"expected '=' after '{prev}', found {found}"
    if prev_kind in _BINARY and wants_expression:
        if prev_kind == "EQUAL" and kind in ("VBAR", "_DOT", "RBRACE", "LBRACE"):
            return f"expected a value after '=', found {found}"
        return f"expected an argument after binary operator '{prev}', found {found}"
    if prev_kind in ("ARROW", "CARET") and wants_expression:
        return f"expected an expression after '{prev}', found {found}"
    if prev_kind == "LBRACE":
        return f"expected an annotation string after '{{', found {found}"
    if prev_kind == "EMPTYBRACES":
        return "expected '=' and a string after '{}' (an object annotation: {} = 'text')"
    if prev_kind == "ARG" and "VBAR" in expected and "ARG" in expected:
        return f"expected another ':argument' or '|' after the block arguments, found {found}"
    if kind == "ARROW" and not after_slot:
        return ("'<-' only declares a slot in a slot list ('| x <- 3 |'); to assign, "
                "send the assignment message ('x: 3')")
    if kind == "LBRACE":
        return "annotations '{ 'text' slots }' are only allowed in a slot list"
    if kind == "CAPKEYWORD":
        return (f"a keyword message starts with a lower-case keyword; '{tok}' continues a "
                f"message and has none to continue here")
    if kind == "CARET":
        return "'^' (return) can only start a statement"
    if kind == "EMPTYBRACES":
        return "'{}' is only allowed in a slot list, as an object annotation {} = 'text'"
    if kind == "_DOT":
        return "expected a slot before '.'" if slot_start else "empty statement before '.'"
    if slot_start:
        if kind in ("RPAR", "RSQB", "$END"):
            return f"expected '|' to end the slot list, found {found}"
        return f"expected a slot name, found {found}"
    if after_slot:
        return f"expected '.' or '|' after a slot, found {found}"
    if prev_kind in OPERAND_END and kind != "$END" and not wants_expression:
        return f"unexpected {found} after a complete expression (a missing '.' or operator?)"
    if kind == "$END":
        return "unexpected end of text"
    return f"unexpected {found}"


def _unexpected(scanner: Scanner, filename: str, err: UnexpectedToken) -> UvmSyntaxError:
    tok = err.token
    # The scanner has already handed out `tok` (unless it is the end), so the token before
    # it is `before_last`.
    prev = scanner.last if tok.type == "$END" else scanner.before_last
    expected = set(err.expected)
    unclosed = _unclosed_bracket(scanner, filename, tok, prev, expected)
    if unclosed is not None:
        return unclosed
    message = _message(tok, prev, expected, scanner.in_slot_list)
    pos = len(scanner.source) if tok.type == "$END" else tok.start_pos
    if tok.type == "$END" and prev is not None:
        pos = prev.start_pos if message.startswith("expected an argument") else prev.end_pos
    return _error(scanner, filename, message, pos)


def _unclosed_bracket(scanner: Scanner, filename: str, tok, prev,
                      expected: set[str]) -> UvmSyntaxError | None:
    """A complete expression followed, on a later line, by the start of another: outside
    brackets the line break would have ended the statement, so the likely mistake is the
    bracket still open from an earlier line. Name it, and where it opened."""
    if tok.type == "$END" or prev is None or not scanner.open_brackets:
        return None
    if prev.type not in OPERAND_END or _EXPRESSION_START in expected:
        return None
    opener = scanner.open_brackets[-1]
    prev_line = scanner.line_col(max(prev.end_pos - 1, prev.start_pos))[0]
    if not (opener.line < tok.line and prev_line < tok.line):
        return None
    message = (f"'{opener}' is not closed: it opened at line {opener.line}, column "
               f"{opener.column}, and line {tok.line} starts another expression "
               f"({_describe(tok)})")
    return _error(scanner, filename, message, opener.start_pos)
