"""UVM syntax: source text to the AST in ``ast.py``.

``parse(source, filename)`` returns an ``ast.Program`` or raises ``UvmSyntaxError`` (never
anything else); ``is_complete(source)`` tells a REPL whether to run the text or read more.
The grammar is ``grammar.lark``; ``lexer.py`` handles the context-sensitive lexical rules;
``builder.py`` builds the AST and applies Self's checks. See README.md for the deviations
from Self's parser.
"""
from .errors import UvmSyntaxError
from .lexer import is_complete
from .parser import parse

__all__ = ["parse", "is_complete", "UvmSyntaxError"]
