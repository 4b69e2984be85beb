"""A Pygments lexer for UVM, so the REPL, Jupyter and ``pygmentize -l uvm`` colour UVM alike.

It is registered under the ``pygments.lexers`` entry point (alias ``uvm``, files
``*.uvm``). It imports nothing of UVM's runtime: Pygments loads it by name in other
programs, and it must stay cheap. It follows the scanner in ``uvm/syntax/lexer.py`` for
tokens, not for grammar: a regular lexer cannot tell a slot list from code, so it colours
words and punctuation, not meaning. Python method literals (``py'''...'''``) are handed to
Pygments' Python lexer. Unfinished input (an open string or comment while typing) is
coloured as far as it goes instead of being marked as an error.
"""
from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, include, using
from pygments.lexers.python import PythonLexer
from pygments.token import (Comment, Error, Keyword, Name, Number, Operator, Punctuation,
                            String, Whitespace)

__all__ = ["UvmLexer"]

_OPERATOR = r"[!@#$%^&*\-+=~/?<>,;\\|]+"


class UvmLexer(RegexLexer):
    """UVM source: Self-style message sends, object literals, blocks, Python methods."""

    name = "UVM"
    aliases = ["uvm"]
    filenames = ["*.uvm"]
    mimetypes = ["text/x-uvm"]
    flags = re.MULTILINE | re.DOTALL

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r'"', Comment, "comment"),
            (r"(py)(''')(.*?)(''')", bygroups(String.Affix, String.Delimiter,
                                              using(PythonLexer), String.Delimiter)),
            (r"(py)(''')(.*)\Z", bygroups(String.Affix, String.Delimiter, using(PythonLexer))),
            (r"'", String.Single, "string"),
            include("numbers"),
            (r"(resend)(\.)", bygroups(Keyword, Punctuation)),
            (r"\b(self)\b", Name.Builtin.Pseudo),
            (r"\b(true|false|nil)\b(?!:)", Keyword.Constant),
            (r"\b(lobby|traits|globals|mixins|defaultBehavior)\b(?!:)", Name.Builtin),
            (r"_[A-Za-z][A-Za-z0-9_]*:?", Name.Builtin),          # primitives
            (r"[A-Za-z_][A-Za-z0-9_]*:(?![A-Za-z0-9_:])", Name.Function),  # keyword parts
            (r":[a-z_][A-Za-z0-9_]*", Name.Variable),              # arguments
            (r"([a-z_][A-Za-z0-9_]*)(\.)(?=[A-Za-z_!@#$%&*\-+=~/?<>,;\\])",
             bygroups(Name.Namespace, Punctuation)),               # directed resend p.foo
            (r"([a-z_][A-Za-z0-9_]*)(\*)", bygroups(Name.Variable.Class, Operator)),  # parent*
            (r"[a-z_][A-Za-z0-9_]*", Name),
            (r"[A-Z][A-Za-z0-9_]*", Name),     # a later keyword part being typed
            (r"\{\}", Punctuation),
            (r"<-", Operator.Word),
            (r"\(\||\[\||\|\)|\|\]", Punctuation),                # (| ... |)  [| ... |]
            (r"[!@#$%^&*\-+=~/?<>,;\\|]{2,}", Operator),
            (r"\^", Keyword),                                     # return
            (r"[()\[\]{}.|]", Punctuation),
            (_OPERATOR, Operator),
            (r".", Error),
        ],
        "numbers": [
            (r"\d+[rR][0-9A-Za-z]+", Number.Hex),
            (r"\d+\.\d+(?:[eE][+-]?\d+)?", Number.Float),
            (r"\d+[eE][+-]?\d+", Number.Float),
            (r"\d+", Number.Integer),
        ],
        "comment": [
            (r'[^"\\]+', Comment),
            (r"\\.", Comment),
            (r"\\\Z", Comment),
            (r'"', Comment, "#pop"),
        ],
        "string": [
            (r"[^'\\]+", String.Single),
            (r"\\(?:x[0-9A-Fa-f]{2}|o[0-7]{3}|d[0-9]{3}|\n|.)", String.Escape),
            (r"\\\Z", String.Single),
            (r"'", String.Single, "#pop"),
        ],
    }

    def analyse_text(text: str) -> float:
        """A guess for ``pygmentize`` without ``-l``: object literals and ``_AddSlots:``."""
        score = 0.0
        if "_AddSlots:" in text:
            score += 0.5
        if "(|" in text and "|)" in text:
            score += 0.2
        return min(score, 1.0)
