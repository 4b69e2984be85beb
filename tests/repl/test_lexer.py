"""The Pygments lexer: every UVM file the project ships lexes without error tokens, the
pieces get the right token types, and Pygments finds the lexer by name and file name."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Name, Number, Operator, String

from tests.conftest import REPO
from uvm.repl.lexer import UvmLexer

SOURCES = sorted(glob.glob(os.path.join(REPO, "examples", "*.uvm"))
                 + glob.glob(os.path.join(REPO, "uvm", "stdlib", "*.uvm"))
                 + glob.glob(os.path.join(REPO, "tests", "language", "*.uvm")))


def tokens(text):
    return [(t, v) for t, v in UvmLexer().get_tokens(text) if v.strip()]


@pytest.mark.parametrize("path", SOURCES, ids=os.path.basename)
def test_shipped_sources_lex_without_errors(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    toks = list(UvmLexer().get_tokens(text))
    assert "".join(v for _, v in toks).rstrip("\n") == text.rstrip("\n")
    assert [(t, v) for t, v in toks if t in Error] == []


def test_token_kinds():
    toks = tokens("lobby _AddSlots: (| p* = traits clonable. x <- 16rFF. "
                  "at: i Put: v = (resend.at: i Put: v) |). 'a\\n' , \"note\" 2.5e3")
    kinds = dict((v, t) for t, v in toks)
    assert kinds["_AddSlots:"] in Name.Builtin
    assert kinds["at:"] in Name.Function and kinds["Put:"] in Name.Function
    assert kinds["16rFF"] in Number and kinds["2.5e3"] in Number.Float
    assert kinds["<-"] in Operator and kinds[","] in Operator
    assert kinds['"'] in Comment and kinds["note"] in Comment
    assert kinds["\\n"] in String.Escape
    assert kinds["resend"] not in Name.Function


def test_python_methods_are_lexed_as_python():
    toks = tokens("area = py'''\n    def area(self):\n        return self.r ** 2\n'''")
    kinds = dict((v, t) for t, v in toks)
    assert kinds["def"] in __import__("pygments").token.Keyword
    assert kinds["area"] in Name  # the slot name, then Python's function name
    assert ("'''" in kinds) and all(t not in Error for t, _ in toks)


def test_unfinished_input_is_not_an_error():
    for text in ("'open string", '"open comment', "(| x <- ", "foo: 3 Ba", "py'''\n def f(self):"):
        assert [t for t, _ in tokens(text) if t in Error] == [], text


def test_pygments_finds_the_lexer_by_entry_point():
    assert isinstance(get_lexer_by_name("uvm"), UvmLexer)
    assert isinstance(get_lexer_for_filename("bank.uvm"), UvmLexer)


def test_pygmentize_highlights_an_example():
    exe = shutil.which("pygmentize", path=os.path.dirname(sys.executable)) or shutil.which("pygmentize")
    assert exe, "pygmentize is installed with Pygments"
    example = os.path.join(REPO, "examples", "bank.uvm")
    done = subprocess.run([exe, "-l", "uvm", "-f", "html", example], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '<span class="nf">deposit:</span>' in done.stdout     # a keyword part
    assert '<span class="c">' in done.stdout                      # the comment
    assert 'class="err"' not in done.stdout
