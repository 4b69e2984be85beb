"""JSON Lines files of the model layer (canned answers, recordings, training data): one
object per line, blank lines skipped, each line checked for its string fields."""
from __future__ import annotations

import json

from uvm.llm.errors import LLMError


def parse_jsonl(text: str, path: str, fields: tuple[str, ...]) -> list[dict]:
    """The objects of ``text`` (the contents of ``path``); each must have string ``fields``."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise LLMError(f"{path}:{n}: not a JSON object: {e.msg}") from None
        if not isinstance(row, dict) or not all(isinstance(row.get(f), str) for f in fields):
            need = " and ".join(f'"{f}"' for f in fields)
            raise LLMError(f"{path}:{n}: each line needs an object with {need} strings")
        rows.append(row)
    return rows
