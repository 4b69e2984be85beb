"""Integers written out and read back at any size.

UVM integers are unbounded (Python ints), but Python refuses to convert more than 4,300
decimal digits either way (``sys.set_int_max_str_digits``, a process-wide guard against
slow quadratic conversions). Rather than lift that guard for the whole host process,
long numbers are split in halves (divide and conquer), which keeps each conversion under
the limit and is faster than the quadratic one for very long numbers.
"""
from __future__ import annotations

import functools

_CHUNK = 3000          # digits converted by Python directly (under its limit)
_SMALL_BITS = 9000     # about 2,700 decimal digits


@functools.lru_cache(maxsize=256)
def _power(base: int, exponent: int) -> int:
    return base ** exponent


def parse_integer(digits: str, base: int = 10) -> int:
    """``int(digits, base)`` for any number of digits (a leading ``-`` is allowed)."""
    if digits.startswith("-"):
        return -parse_integer(digits[1:], base)
    if len(digits) <= _CHUNK:
        return int(digits, base)
    half = len(digits) // 2
    low = len(digits) - half
    return parse_integer(digits[:half], base) * _power(base, low) + parse_integer(digits[half:], base)


def integer_string(n: int) -> str:
    """``str(n)`` for an integer of any size."""
    if n < 0:
        return "-" + integer_string(-n)
    if n.bit_length() <= _SMALL_BITS:
        return str(n)
    k = max(1, n.bit_length() * 30103 // 200000)  # half the decimal digits
    high, low = divmod(n, _power(10, k))
    return integer_string(high) + integer_string(low).zfill(k)
