"""Go's ``encoding/json`` ``Marshal``, for the config values the Pulumi CLI stores as JSON text.

The CLI stores a stack-file number, list or map as JSON (pulumi/pulumi
``sdk/go/common/resource/config/object.go``: ``MarshalString`` calls ``json.Marshal`` for
``bool``/``int64``/``float64`` and for objects; a project default that is not a string, int or
bool goes through ``json.Marshal`` too, ``pkg/workspace/config.go`` ``createConfigValue``), and
the program reads that text. Go writes it differently from Python's ``json.dumps``:

* a float64 is the shortest decimal that round-trips, in plain notation unless its magnitude
  is below 1e-6 or at least 1e21, where it is ``e`` notation with a one-digit exponent kept
  short (``1e-7``, ``1e+21``); an integral float has no ``.0`` (``3.0`` -> ``3``);
  NaN and infinities are an error (``UnsupportedValueError``);
* map keys are sorted;
* ``<``, ``>`` and ``&`` are escaped (``\\u003c``...), as are U+2028 and U+2029; other non-ASCII
  text is written as is; control characters are ``\\b \\f \\n \\r \\t`` or ``\\u00XX``;
* no spaces between tokens.
(Go's ``encoding/json/encode.go``: ``floatEncoder.encode``, ``appendString``, ``mapEncoder``.)
"""

from __future__ import annotations

import decimal
import math
from typing import Any


class UnsupportedValue(ValueError):
    """A value Go's json.Marshal refuses (NaN, an infinity)."""


def float_text(f: float) -> str:
    """``strconv.AppendFloat(f, fmt, -1, 64)`` as ``floatEncoder`` calls it."""
    if math.isnan(f) or math.isinf(f):
        raise UnsupportedValue(f"json: unsupported value: {_go_special(f)}")
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    sign, digits, exponent = decimal.Decimal(repr(f)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    minus = "-" if sign else ""
    if abs(f) < 1e-6 or abs(f) >= 1e21:
        exp = len(text) + exponent - 1  # exponent of the leading digit
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        # 'e' writes at least two exponent digits; encode.go cuts "e-09" to "e-9"
        return f"{minus}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}".replace(
            "e-0", "e-"
        )
    plain = format(decimal.Decimal(repr(abs(f))).normalize(), "f")
    return minus + plain


def _go_special(f: float) -> str:
    if math.isnan(f):
        return "NaN"
    return "+Inf" if f > 0 else "-Inf"


_SHORT = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def string_text(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch in _SHORT:
            out.append(_SHORT[ch])
        elif ch in _HTML:
            out.append(_HTML[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF:  # a lone surrogate is invalid UTF-8 to Go
            out.append("\\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def marshal(value: Any) -> str:
    """``json.Marshal(value)`` for the values YAML and JSON decoding give."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, dict):
        items = sorted((str(k), v) for k, v in value.items())
        return "{" + ",".join(f"{string_text(k)}:{marshal(v)}" for k, v in items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(marshal(v) for v in value) + "]"
    raise UnsupportedValue(f"json: unsupported type: {type(value).__name__}")
