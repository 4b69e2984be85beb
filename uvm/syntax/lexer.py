"""The hand-written UVM scanner: the context-sensitive half of the syntax.

A regular-expression lexer cannot express these rules, so ``grammar.lark`` declares its
terminals and this scanner produces them:

* at bracket depth 0 a line break after a complete expression ends the statement (an
  ``_NL`` token), unless the next line starts with a capitalised keyword part; inside
  ``( [ {`` line breaks are only whitespace;
* ``-`` directly before a digit is a sign when no operand precedes it (``-5 abs``,
  ``3 - -2``) and an operator otherwise (``a-1``, ``3 -2``); other operator characters
  are read by maximal munch (``3*-2`` is ``*-`` then ``2``);
* ``foo:`` is a KEYWORD (first part), ``Foo:`` a CAPKEYWORD (later part), ``:foo`` an ARG;
* ``resend.foo`` / ``p.foo`` (no spaces) give a DELEGATE token naming the parent;
* ``py'''...'''`` is a Python method literal, ``{}`` the object-annotation marker.

Errors are raised as :class:`ScanError` with a character offset; ``parser.py`` turns them
into ``UvmSyntaxError`` with file, line and column.
"""
from __future__ import annotations

import re
import textwrap
from bisect import bisect_right
from typing import Iterator

from lark.lexer import Lexer, Token

from .integers import parse_integer

OPERATOR_CHARS = "!@#$%^&*-+=~/?<>,;\\|"

# Tokens after which an expression is complete: a line break may end it there, and a `-`
# before a digit is the binary operator rather than a sign.
OPERAND_END = frozenset({"INTEGER", "FLOAT", "STRING", "PYTHON", "SELF", "NAME", "RPAR", "RSQB"})

# Tokens that leave an expression waiting for more (used by is_complete).
AWAITING = frozenset({"KEYWORD", "CAPKEYWORD", "OP", "STAR", "EQUAL", "ARROW", "CARET",
                      "DELEGATE"})

_DIGIT_CHARS = frozenset("0123456789")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")

_SPACE = re.compile(r"[ \t\r\f\v]+")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile(r"[!@#$%^&*\-+=~/?<>,;\\|]+")
# (Written "unrolled" -- runs of plain characters, then one escape at a time: the plainer
# '(?:[^'\\]|\\.)*' makes Python's regex engine keep state per character, some 120 bytes
# each, so a 5 MB string literal peaked at 640 MB.)
_COMMENT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_STRING = re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'", re.S)
_DIGITS = re.compile(r"[0-9]+")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_EXPONENT = re.compile(r"[eE][+-]?[0-9]+")
# After a line break: does the next token continue the message (a capitalised keyword)?
_CONTINUES = re.compile(r'(?:\s|"[^"\\]*(?:\\.[^"\\]*)*")*[A-Z][A-Za-z0-9_]*:(?![A-Za-z0-9_])', re.S)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "b": "\b", "a": "\a",
            "0": "\0", "\\": "\\", "'": "'", '"': '"', "?": "?"}
_NUMERIC_ESCAPES = {"x": (16, 2), "o": (8, 3), "d": (10, 3)}

_OPEN = {"(": "RPAR", "[": "RSQB", "{": "RBRACE"}
_CLOSE = {")": ("RPAR", "("), "]": ("RSQB", "["), "}": ("RBRACE", "{")}
_BRACKET_TYPES = {"(": "LPAR", "[": "LSQB", "{": "LBRACE"}


class ScanError(Exception):
    """A lexical error at character offset ``pos``. ``incomplete`` marks errors that more
    input could cure (an open bracket, string, comment or Python literal at the end)."""

    def __init__(self, message: str, pos: int, incomplete: bool = False):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.incomplete = incomplete


class Scanner:
    """Scans one source text into Lark tokens, remembering the last few for error messages."""

    def __init__(self, source: str):
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.last: Token | None = None       # the most recent token handed out
        self.before_last: Token | None = None
        self.open_brackets: list[Token] = []
        # Per open bracket: "start" (just opened), "slots" (inside `| ... |` or `{ ... }`),
        # "args" (after `[ :x`), "code". Only error messages use it.
        self.contexts: list[str] = []
        self.context: str | None = None     # the context the last token was read in

    # --- positions -----------------------------------------------------------------------
    def line_col(self, pos: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        index = bisect_right(self.line_starts, pos) - 1
        return index + 1, pos - self.line_starts[index] + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.source.find("\n", start)
        return self.source[start:] if end < 0 else self.source[start:end]

    def _token(self, type_: str, text: str, start: int, end: int, value=None) -> Token:
        line, col = self.line_col(start)
        tok = Token(type_, text, start, line, col, None, None, end)
        if value is not None:
            tok.value = value
        return tok

    # --- the token stream ----------------------------------------------------------------
    def tokens(self) -> Iterator[Token]:
        contexts = self.contexts
        for tok in self._scan():
            self.before_last, self.last = self.last, tok
            kind = tok.type
            self.context = contexts[-1] if contexts else None
            if contexts:
                top = contexts[-1]
                if top == "start":
                    contexts[-1] = {"VBAR": "slots", "ARG": "args"}.get(kind, "code")
                elif kind == "VBAR" and top in ("slots", "args"):
                    contexts[-1] = "code"
            if kind in ("LPAR", "LSQB"):
                contexts.append("start")
            elif kind == "LBRACE":
                contexts.append("slots")
            elif kind in ("RPAR", "RSQB", "RBRACE"):
                contexts.pop()
            yield tok

    @property
    def in_slot_list(self) -> bool:
        """Whether the last token handed out lies directly in a slot list."""
        return self.context == "slots"

    def _scan(self) -> Iterator[Token]:
        src, n = self.source, len(self.source)
        pos = 0
        prev: str | None = None   # type of the previous significant token
        while pos < n:
            c = src[pos]
            if c in " \t\r\f\v":
                pos = _SPACE.match(src, pos).end()
            elif c == "\n":
                if (not self.open_brackets and prev in OPERAND_END
                        and not _CONTINUES.match(src, pos)):
                    yield self._token("_NL", "\n", pos, pos + 1)
                    prev = "_NL"
                pos += 1
            elif c == '"':
                m = _COMMENT.match(src, pos)
                if not m:
                    raise ScanError("unterminated comment", pos, incomplete=True)
                pos = m.end()
            elif c == "'":
                tok = self._string(pos)
                yield tok
                prev, pos = tok.type, tok.end_pos
            elif c in _DIGIT_CHARS or (c == "-" and src[pos + 1:pos + 2] in _DIGIT_CHARS
                                       and prev not in OPERAND_END):
                tok = self._number(pos)
                yield tok
                prev, pos = tok.type, tok.end_pos
            elif c in "([{":
                if c == "{" and src[pos + 1:pos + 2] == "}":
                    tok = self._token("EMPTYBRACES", "{}", pos, pos + 2)
                else:
                    tok = self._token(_BRACKET_TYPES[c], c, pos, pos + 1)
                    self.open_brackets.append(tok)
                yield tok
                prev, pos = tok.type, tok.end_pos
            elif c in ")]}":
                yield self._close(c, pos)
                prev, pos = _CLOSE[c][0], pos + 1
            elif c == ".":
                if pos + 1 < n and src[pos + 1] in _DIGIT_CHARS:
                    raise ScanError("a float needs a digit before the decimal point "
                                    "(write 0.5, not .5)", pos)
                yield self._token("_DOT", ".", pos, pos + 1)
                prev, pos = "_DOT", pos + 1
            elif c == ":":
                m = _IDENT.match(src, pos + 1)
                if not m:
                    raise ScanError("expected an argument name directly after ':'", pos)
                self._check_name(m.group(), pos, "an argument name")
                tok = self._token("ARG", src[pos:m.end()], pos, m.end(), m.group())
                yield tok
                prev, pos = "ARG", m.end()
            elif c in _NAME_START:
                tok = self._word(pos)
                yield tok
                prev, pos = tok.type, tok.end_pos
            elif c == "\\" and src[pos + 1:pos + 2] == "\n":
                pos += 2        # an escaped line break is plain whitespace
            elif c in OPERATOR_CHARS:
                for tok in self._operator(pos, prev):
                    yield tok
                    prev, pos = tok.type, tok.end_pos
            else:
                raise ScanError(f"unexpected character {c!r}", pos)
        if self.open_brackets:
            opener = self.open_brackets[-1]
            raise ScanError(f"unmatched '{opener}'", opener.start_pos, incomplete=True)

    # --- pieces --------------------------------------------------------------------------
    def _close(self, c: str, pos: int) -> Token:
        type_, opener = _CLOSE[c]
        if not self.open_brackets:
            raise ScanError(f"unmatched '{c}'", pos)
        top = self.open_brackets[-1]
        if top.value != opener:
            line, col = top.line, top.column
            raise ScanError(f"'{c}' does not match the '{top.value}' at line {line}, "
                            f"column {col}", pos)
        self.open_brackets.pop()
        return self._token(type_, c, pos, pos + 1)

    def _check_name(self, name: str, pos: int, what: str) -> None:
        if name[0].isupper():
            raise ScanError(f"{what} must start with a lower-case letter or '_': {name!r}", pos)
        if name == "_":
            raise ScanError("'_' alone is not a name: primitive names go on, as in '_Clone'",
                            pos)

    def _word(self, pos: int) -> Token:
        """A name, keyword part, reserved word, directed resend or Python literal."""
        src = self.source
        m = _IDENT.match(src, pos)
        name, end = m.group(), m.end()
        nxt = src[end:end + 1]
        if nxt == ":":
            if name == "_":
                raise ScanError("'_' alone is not a name: primitive names go on, as in "
                                "'_AddSlots:'", pos)
            type_ = "CAPKEYWORD" if name[0].isupper() else "KEYWORD"
            return self._token(type_, name + ":", pos, end + 1)
        if name == "py" and src.startswith("'''", end):
            return self._python(pos, end + 3)
        after_dot = src[end + 1:end + 2]
        if nxt == "." and after_dot and (after_dot in _NAME_START or after_dot in OPERATOR_CHARS):
            if name == "self":
                raise ScanError("'self' cannot name a parent in a directed resend "
                                "(write 'resend.foo' or 'parentName.foo')", pos)
            self._check_name(name, pos, "a parent name")
            return self._token("DELEGATE", name + ".", pos, end + 1, name)
        if name == "self":
            return self._token("SELF", name, pos, end)
        if name == "resend":
            raise ScanError("'resend' must be followed directly by '.' and a message, "
                            "as in 'resend.foo'", pos)
        self._check_name(name, pos, "a name")
        return self._token("NAME", name, pos, end)

    def _operator(self, pos: int, prev: str | None) -> Iterator[Token]:
        src = self.source
        end = _OPERATOR.match(src, pos).end()
        text = src[pos:end]
        if text == "||" and prev in ("LPAR", "LSQB"):      # `(||)`, `[||]`: empty slot list
            yield self._token("VBAR", "|", pos, pos + 1)
            yield self._token("VBAR", "|", pos + 1, pos + 2)
            return
        type_ = {"=": "EQUAL", "*": "STAR", "<-": "ARROW", "|": "VBAR", "^": "CARET"}.get(
            text, "OP")
        yield self._token(type_, text, pos, end)

    def _number(self, pos: int) -> Token:
        src = self.source
        start = pos
        negative = src[pos] == "-"
        if negative:
            pos += 1
        m = _DIGITS.match(src, pos)
        digits, pos = m.group(), m.end()
        nxt = src[pos:pos + 1]
        if nxt in ("r", "R"):
            base = int(digits)
            if not 2 <= base <= 36:
                raise ScanError(f"radix {base} is not between 2 and 36", start)
            m = _ALNUM.match(src, pos + 1)
            if not m:
                raise ScanError("expected digits after the radix 'r'", start)
            if any(int(d, 36) >= base for d in m.group()):
                raise ScanError(f"{m.group()!r} is not a number in radix {base} (leave a "
                                f"space between a number and a name)", start)
            value = parse_integer(m.group(), base)
            pos = m.end()
            return self._token("INTEGER", src[start:pos], start, pos,
                               -value if negative else value)
        if digits == "0" and nxt in ("x", "X"):
            raise ScanError("hexadecimal numbers are written 16rFF, not 0xFF", start)
        if len(digits) > 1 and digits[0] == "0":
            raise ScanError("numbers cannot start with 0 (for octal write 8r...)", start)
        type_ = "INTEGER"
        if nxt == "." and src[pos + 1:pos + 2] in _DIGIT_CHARS:
            pos = _DIGITS.match(src, pos + 1).end()
            type_ = "FLOAT"
        if src[pos:pos + 1] in ("e", "E"):
            m = _EXPONENT.match(src, pos)
            if not m:
                raise ScanError("expected digits in the exponent of a number", pos)
            pos = m.end()
            type_ = "FLOAT"
        after = src[pos:pos + 1]
        if after.isalnum() or after == "_":
            raise ScanError("leave a space between a number and a name", pos)
        text = src[start:pos]
        if type_ == "INTEGER":
            return self._token("INTEGER", text, start, pos, parse_integer(text, 10))
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise ScanError(f"{text} is too large for a float", start)
        return self._token("FLOAT", text, start, pos, value)

    def _string(self, pos: int) -> Token:
        m = _STRING.match(self.source, pos)
        if not m:
            raise ScanError("unterminated string", pos, incomplete=True)
        raw = m.group()[1:-1]
        out: list[str] = []
        i = 0
        while True:
            j = raw.find("\\", i)
            if j < 0:
                out.append(raw[i:])
                break
            out.append(raw[i:j])
            esc = raw[j + 1]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i = j + 2
            elif esc == "\n":
                i = j + 2          # an escaped line break continues the string
            elif esc in _NUMERIC_ESCAPES:
                base, width = _NUMERIC_ESCAPES[esc]
                digits = raw[j + 2:j + 2 + width]
                try:
                    if len(digits) != width:
                        raise ValueError
                    code = int(digits, base)
                    if code > 255:
                        raise ValueError
                except ValueError:
                    raise ScanError(f"bad escape '\\{esc}{digits}': expected {width} digits "
                                    f"in base {base}, at most 255", pos + 1 + j) from None
                out.append(chr(code))
                i = j + 2 + width
            else:
                raise ScanError(f"unknown escape '\\{esc}' in string", pos + 1 + j)
        return self._token("STRING", m.group(), pos, m.end(), "".join(out))

    def _python(self, pos: int, body: int) -> Token:
        end = self.source.find("'''", body)
        if end < 0:
            raise ScanError("unterminated Python method literal (py''' needs a closing ''')",
                            pos, incomplete=True)
        text = textwrap.dedent(self.source[body:end])
        lines = text.split("\n")
        while lines and not lines[0].strip():
            lines.pop(0)
        return self._token("PYTHON", self.source[pos:end + 3], pos, end + 3, "\n".join(lines))


class UvmLexer(Lexer):
    """Lark's side of the scanner: Lark hands back the Scanner given to ``parse``."""

    def __init__(self, lexer_conf) -> None:   # the grammar's terminals are all %declared
        pass

    def lex(self, scanner: "Scanner") -> Iterator[Token]:   # Lark's custom-lexer interface 0
        return scanner.tokens()


def is_complete(source: str) -> bool:
    """True when ``source`` is ready to run in a REPL: no bracket, string, comment or Python
    literal is still open and it does not end waiting for an argument (``3 +``, ``a foo:``).
    Text with other errors counts as complete, so that the error gets reported."""
    scanner = Scanner(source)
    try:
        for _ in scanner.tokens():
            pass
    except ScanError as err:
        return not err.incomplete
    return scanner.last is None or scanner.last.type not in AWAITING
