"""Work counted, not timed (the box is shared): the Python function calls, builtins included,
that one call makes. Linearity tests compare these counts across stack sizes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def counted(fn: Callable[[], T]) -> tuple[T, int]:
    """``fn()``'s result and the number of function calls (``call`` and ``c_call`` profiler
    events) it made."""
    calls = 0

    def count(_frame: Any, event: str, _arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(count)
    try:
        result = fn()
    finally:
        sys.setprofile(None)
    return result, calls
