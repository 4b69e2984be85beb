"""Read a safetensors file's metadata header without torch (the format is an 8-byte
little-endian length, then that many bytes of JSON)."""
from __future__ import annotations

import json
import struct

from uvm.llm.errors import ModelFileError


def read_header(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            (n,) = struct.unpack("<Q", f.read(8))
            if n > 100_000_000:
                raise ValueError("header too large")
            return json.loads(f.read(n))
    except (OSError, struct.error, ValueError) as e:
        raise ModelFileError(f"{path} is not a safetensors file: {e}") from None


def read_metadata(path: str) -> dict[str, str]:
    return dict(read_header(path).get("__metadata__") or {})
