"""The small JSON-schema validator of the custom tools' inputs: :func:`validate` checks a tool call's arguments
against its ``input_schema`` (type, required, enum, bounds, no unknown keys) and raises :class:`ToolError`, whose
message is meant for the model.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ToolError", "validate"]


# =========================================================================== tool errors and validation

class ToolError(Exception):
    """A problem the caller (the model) can fix: becomes an ``Error: ...`` result with is_error=True."""


def _short(value: Any, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


_JSON_TYPES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "object": "an object", "array": "an array"}


def validate(schema: dict, args: Any, tool: str = "tool") -> dict:
    """Check ``args`` against a tool's ``input_schema`` (type, required, enum, bounds, no unknown keys).

    Returns a cleaned copy (enum values normalised to their canonical case, integral floats to int);
    raises :class:`ToolError` with a message meant for the model.
    """
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise ToolError(f"{tool} input must be a JSON object of arguments, got {type(args).__name__}")
    props = schema.get("properties") or {}
    unknown = [k for k in args if k not in props]
    if unknown:
        names = ", ".join(_short(k, 40) for k in unknown[:5])
        raise ToolError(f"unknown argument(s) {names} for {tool}; valid arguments: {', '.join(props)}")
    missing = [k for k in schema.get("required", []) if args.get(k) is None]
    if missing:
        raise ToolError(f"{tool} needs argument(s) {', '.join(missing)}")
    clean = {}
    for key, value in args.items():
        if value is None:  # an explicit null means "not given"
            continue
        spec = props[key]
        kind = spec.get("type")
        if kind == "integer":
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
        elif kind == "string":
            if not isinstance(value, str):
                raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
            if "maxLength" in spec and len(value) > spec["maxLength"]:
                raise ToolError(f"{key} is too long ({len(value)} characters; at most {spec['maxLength']})")
        elif kind == "boolean" and not isinstance(value, bool):
            raise ToolError(f"{key} must be {_JSON_TYPES[kind]}, got {_short(value)}")
        if "enum" in spec:
            if value not in spec["enum"]:
                folded = [e for e in spec["enum"] if isinstance(value, str) and isinstance(e, str)
                          and e.lower() == value.strip().lower()]
                if len(folded) != 1:
                    raise ToolError(f"unknown {key} {_short(value)}; valid values: {', '.join(map(str, spec['enum']))}")
                value = folded[0]
        if "minimum" in spec and value < spec["minimum"]:
            raise ToolError(f"{key} must be at least {spec['minimum']}, got {value}")
        if "maximum" in spec and value > spec["maximum"]:
            raise ToolError(f"{key} must be at most {spec['maximum']}, got {value}; narrow the filters instead")
        clean[key] = value
    return clean
