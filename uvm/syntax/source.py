"""Source text from bytes: UVM source is UTF-8 (a UTF-8 byte-order mark is allowed).

Files, standard input and ``-c`` strings all come through here, so a script that is not
UTF-8 gets the same one-line error whether it is run, checked (``--check``) or filed in,
instead of a host ``UnicodeDecodeError`` -- or, worse, text with undecodable bytes smuggled
in as surrogates that only fail when the evaluation commits.
"""
from __future__ import annotations

import codecs

from .errors import UvmSyntaxError


class SourceEncodingError(UvmSyntaxError):
    """The bytes are not UTF-8 text. Shown as one line: there is no UVM line to point at."""

    def pretty(self) -> str:
        return f"Error: {self.file}:{self.line}:{self.col}: {self.message}"


_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
         (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"))


def decode_source(data: bytes, name: str) -> str:
    """``data`` as text, or a ``SourceEncodingError`` naming where it stops being UTF-8."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    else:
        for bom, encoding in _BOMS:
            if data.startswith(bom):
                raise SourceEncodingError(
                    f"this is {encoding} text (it starts with a {encoding} byte-order mark); "
                    "UVM source is UTF-8: save it as UTF-8", name, 1, 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise SourceEncodingError(
            f"not UTF-8 text (byte 0x{data[e.start]:02x}); UVM source is UTF-8: convert "
            "it (for example with iconv -f latin1 -t utf-8)", name, line, col) from None


def read_source(path: str) -> str:
    """The text of a source file (``OSError`` if it cannot be read)."""
    with open(path, "rb") as f:
        return decode_source(f.read(), path)


def check_text(text: str, name: str) -> str:
    """``text`` itself when it is valid Unicode; else the error for the bytes it came from
    (Python decodes undecodable command-line and terminal bytes to lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            decode_source(text.encode("utf-8", "surrogateescape"), name)
        except UnicodeEncodeError:
            pass
        raise SourceEncodingError("not valid Unicode text (it holds lone surrogates)",
                                  name, 1, 1) from None
    return text
