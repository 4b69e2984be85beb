"""From the model's answer to a method: find the function, know when it has ended, add
what the Persistence Covenant wants, and compare what it answers with an example's value."""
from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping

from uvm.llm.synthesis.guardian import Signature, add_covenant_line
from uvm.runtime.objects import UvmDict, UvmObject

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*\n(.*?)(?:```|\Z)", re.S)


def extract_function(answer: str, signature: Signature, completed_from_signature: bool = True) -> str:
    """The ``def`` in the model's answer: from a code fence or among prose; a bare body (what
    follows the signature the prompt ended with) gets the signature prepended."""
    text = answer.replace("\r\n", "\n")
    m = _FENCE.search(text)
    if m:
        text = m.group(1)
    lines = text.split("\n")
    start = next((i for i, l in enumerate(lines) if l.lstrip().startswith("def ")), None)
    if start is None:
        if not completed_from_signature:
            return text.strip()
        body = [l for l in lines]
        while body and not body[0].strip():
            body.pop(0)
        if not body:
            return signature.source() + "\n    pass\n"
        # the model continued the signature: indent the body consistently
        indent = len(body[0]) - len(body[0].lstrip())
        fixed = []
        for l in body:
            if not l.strip():
                fixed.append("")
                continue
            cur = len(l) - len(l.lstrip())
            if cur < indent or (indent == 0 and fixed and not l.startswith((" ", "\t"))
                                and not _continues(fixed)):
                break
            fixed.append("    " + l[indent:])
        return _trim(signature.source() + "\n" + "\n".join(fixed))
    lines = lines[start:]
    base = len(lines[0]) - len(lines[0].lstrip())
    out = [lines[0][base:]]
    for l in lines[1:]:
        if l.strip() and len(l) - len(l.lstrip()) <= base:
            break  # the function ended (prose or another statement follows)
        out.append(l[base:] if l.strip() else "")
    return _trim("\n".join(out))


def _continues(fixed: list[str]) -> bool:
    last = next((l for l in reversed(fixed) if l.strip()), "")
    return last.rstrip().endswith((":", "\\", ",", "(", "["))


def _trim(source: str) -> str:
    return source.rstrip() + "\n"


def method_ended(answer: str) -> bool:
    """Whether the answer's method is complete: a line back at (or left of) the method's
    own margin follows it -- known as soon as that line's first character is there, so an
    unfinished last line counts too. Small models go on writing more functions or prose;
    stopping there saves most of the generation time."""
    lines = answer.split("\n")
    head = answer.lstrip()
    if not head.startswith(("def ", "```")):  # the body continues the signature we gave
        return any(l.strip() and not l[0].isspace() for l in lines[1:])
    start = next((i for i, l in enumerate(lines) if l.lstrip().startswith("def ")), None)
    if start is None:
        return False
    margin = len(lines[start]) - len(lines[start].lstrip())
    return any(l.strip() and len(l) - len(l.lstrip()) <= margin for l in lines[start + 1:])


def with_covenant_line(code: str) -> str:
    """``code`` with the Persistence Covenant's line added where the model forgot it (an
    answer that does not parse is left for the audit to reject)."""
    try:
        return add_covenant_line(code)
    except (SyntaxError, IndexError, AttributeError):
        return code


def code_from_answer(answer: str, signature: Signature, start: str) -> str:
    """The function: the answer continues ``start``, the signature it was given (a backend
    that cannot continue a message answers a whole ``def``, perhaps in a fence)."""
    head = answer.lstrip()
    if head.startswith(("def ", "```")):
        return extract_function(answer, signature)
    return extract_function(start + answer, signature)


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def same_value(got, expected) -> bool:
    """Example equality: numbers by value (an int may stand for a float), sequences item
    by item, dictionaries entry by entry, objects by identity, the rest by ==."""
    if isinstance(expected, bool) or isinstance(got, bool) or expected is None:
        return got is expected
    if type(expected) in (int, float) and type(got) in (int, float):
        return math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(expected, UvmObject) or isinstance(got, UvmObject):
        return got is expected
    mappings = (Mapping, UvmDict)
    if isinstance(expected, mappings):
        return isinstance(got, mappings) and len(got) == len(expected) and all(
            k in got and same_value(got[k], v) for k, v in expected.items())
    seq = (list, tuple)
    if isinstance(expected, seq) or type(expected).__name__ == "UvmList":
        try:
            a, b = list(got), list(expected)
        except TypeError:
            return False
        return (isinstance(got, seq) or type(got).__name__ == "UvmList") and len(a) == len(b) \
            and all(same_value(x, y) for x, y in zip(a, b))
    return type(got) is type(expected) and got == expected
