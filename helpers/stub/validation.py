"""Validation with the SDK's own types, and the wording of its errors.

Requests are validated against the SDK's params TypedDicts (:func:`validate_params`: a 400 naming the wrong field
and how to fix it); responses and events against the SDK's response models (:func:`validate_response`,
:func:`validate_event`: a stub bug shows up here, not in a learner's notebook). Depends on nothing but
exceptions.py and validator_cache.py; pydantic and the SDK's types load on first use.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from functools import cache
from typing import Any

from ..i18n import _
from . import validator_cache
from .exceptions import InvalidRequest, StubError, offline_hint

__all__ = ["adapter", "validate_python", "format_validation_error", "validate_params", "union_members", "validate_event",
           "validate_response", "sdk_types", "check_system_message"]

log = logging.getLogger("helpers.stub")


@cache
def adapter(tp: Any):
    """What validates ``tp`` (``.validate_python``): the validator of a pydantic ``TypeAdapter``, built once per
    process, or, for the SDK's params classes, loaded from the workshop's cache when a kernel built it before
    (validator_cache.py: ~0.5 ms instead of ~10 ms for ``AgentCreateParams``)."""
    validator = validator_cache.load(tp)
    if validator is None:
        from pydantic import TypeAdapter

        validator = TypeAdapter(tp).validator
        validator_cache.save(tp, validator)
    return validator


def validate_python(tp: Any, value: Any) -> Any:
    """``value`` validated as ``tp``. A pydantic model validates with its own validator: built once per process and
    shared with the SDK's strict client, which validates the same objects when they arrive (a ``TypeAdapter`` of the
    model would build a second one, ~1-7 ms a type in every fresh kernel). Anything else (a TypedDict, a union) goes
    through :func:`adapter`."""
    if isinstance(tp, type) and hasattr(tp, "model_validate"):
        return tp.model_validate(value)
    return adapter(tp).validate_python(value)


def _fmt_loc(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + str(p)
    return out


def format_validation_error(exc: Any, prefix: Sequence[Any]) -> str:
    """Turn a pydantic ValidationError into one readable sentence naming the wrong field(s)."""
    cleaned = []
    for err in exc.errors():
        member = None
        parts: list[Any] = list(prefix)
        for p in err["loc"]:
            if isinstance(p, str) and (p[:1].isupper() or "[" in p or p.startswith("function-")
                                       or p in ("str", "int", "float", "bool", "list", "dict", "none")):
                member = p  # a union member's class name: not part of the user's path
                continue
            parts.append(p)
        cleaned.append((parts, member, err))
    # In a union, members whose `type` literal did not match are noise when another member matched; when none
    # matched, the `type` itself is what is wrong.
    bad = {m for parts, m, e in cleaned if m and parts and parts[-1] == "type" and e["type"] == "literal_error"}
    kept = [c for c in cleaned if c[1] not in bad] or \
        [c for c in cleaned if c[0] and c[0][-1] == "type" and c[2]["type"] == "literal_error"] or cleaned
    msgs: dict[str, list[str]] = {}
    for parts, _m, err in kept:
        loc = _fmt_loc(parts) or "body"
        if err["type"] == "literal_error" and "expected" in (err.get("ctx") or {}):
            expected = str(err["ctx"]["expected"])
            options = expected.replace(" or ", ", ").split(", ")
            if len(options) > 6:
                expected = ", ".join(options[:4]) + f", ... ({len(options)} options)"
            msg = "should be " + expected
            if parts and parts[-1] == "type":
                msg += f" (got {err.get('input')!r})"
        elif err["type"] == "missing":
            msg = "is required but missing"
        elif err["type"] == "extra_forbidden":
            msg = "is not a known field"
        else:
            msg = err["msg"]
        lst = msgs.setdefault(loc, [])
        if msg not in lst:
            lst.append(msg)
    items = list(msgs.items())[:4]
    parts_out = []
    for loc, m in items:
        if all(x.startswith("should be ") for x in m) and len(m) > 1:
            got = m[0].rsplit(" (got ", 1)[-1] if "(got " in m[0] else ""
            opts = [x[len("should be "):].split(" (got ")[0] for x in m]
            parts_out.append(f"{loc} should be one of {', '.join(opts)}" + (f" (got {got}" if got else ""))
        elif m[0].startswith(("is ", "should")):
            parts_out.append(f"{loc} {' or '.join(m)}")
        else:
            parts_out.append(f"{loc}: {' / '.join(m)}")
    text = "; ".join(parts_out)
    if len(msgs) > 4:
        text += f"; and {len(msgs) - 4} more"
    return text


def _materialize(value: Any, path: list[Any]) -> Any:
    """The SDK's TypedDicts use ``Iterable[...]``, which pydantic validates lazily: force it, keeping paths."""
    from pydantic import ValidationError
    if isinstance(value, dict):
        return {k: _materialize(v, path + [k]) for k, v in value.items()}
    if type(value).__name__ == "ValidatorIterator":  # pydantic_core does not export the class
        out = []
        it = iter(value)
        i = 0
        while True:
            try:
                item = next(it)
            except StopIteration:
                break
            except ValidationError as e:
                raise InvalidRequest(format_validation_error(e, path) + ".") from None
            out.append(_materialize(item, path + [i]))
            i += 1
        return out
    if isinstance(value, list):
        return [_materialize(v, path + [i]) for i, v in enumerate(value)]
    return value


@cache
def _list_fields(tp: Any) -> tuple[str, ...]:
    """The keys of a params TypedDict that take a list (the SDK types them ``Iterable[...]``/``List[...]``)."""
    import collections.abc as abc
    import typing

    try:
        hints = typing.get_type_hints(tp, include_extras=True)
    except Exception:
        return ()
    out = []
    for key, ann in hints.items():
        while typing.get_origin(ann) in (typing.Annotated, typing.Required, typing.NotRequired):
            ann = typing.get_args(ann)[0]
        if typing.get_origin(ann) is typing.Union:
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[0] if len(args) == 1 else ann
        if typing.get_origin(ann) in (list, abc.Iterable, abc.Sequence):
            out.append(key)
    return tuple(out)


def _reject_scalars_for_lists(tp: Any, value: Any, path: list[Any], what: str) -> None:
    """A string or a dict where a list belongs: pydantic would iterate it (a str's characters, a dict's keys) and
    report ``content[0]`` for a field the caller never indexed. Say what is wrong instead."""
    if not isinstance(value, dict) or not hasattr(tp, "__annotations__"):
        return
    for key in _list_fields(tp):
        v = value.get(key)
        if isinstance(v, (str, bytes, dict)):
            kind = "a string" if isinstance(v, (str, bytes)) else "an object"
            advice = (_("wrap it in a list, e.g. {example}.").format(example='[{"type": "text", "text": "..."}]')
                      if key == "content" else _("wrap it in a list."))
            raise InvalidRequest(f"Invalid {what}: {_fmt_loc(path + [key])}: must be a list, got {kind}. "
                                 + offline_hint(advice))


def validate_params(tp: Any, value: Any, path: Sequence[Any] = (), *, what: str = "request body",
                    hint: str = "") -> Any:
    """Validate ``value`` against an SDK params TypedDict; raise a 400 naming the wrong field."""
    from pydantic import ValidationError

    _reject_scalars_for_lists(tp, value, list(path), what)
    try:
        out = adapter(tp).validate_python(value)
        out = _materialize(out, list(path))
    except InvalidRequest as e:
        raise InvalidRequest(f"Invalid {what}: {e.message}" + (f" {hint}" if hint else "")) from None
    except ValidationError as e:
        raise InvalidRequest(f"Invalid {what}: {format_validation_error(e, path)}." + (f" {hint}" if hint else "")) from None
    # Unknown top-level keys (pydantic ignores them on TypedDicts): the real API rejects them.
    keys = getattr(tp, "__annotations__", None)
    if isinstance(value, dict) and keys is not None and getattr(tp, "__total__", None) is not None:
        allowed = set(keys) - {"betas", "workspace_id"}
        extra = [k for k in value if k not in allowed]
        if extra:
            raise InvalidRequest(f"Invalid {what}: {_fmt_loc(list(path) + [extra[0]])} is not a known field"
                                 f" (known: {', '.join(sorted(allowed))}).")
    return out


@cache
def union_members(union: Any) -> dict[str, Any]:
    """``{type literal: model}`` for a discriminated union of SDK models (pydantic would try every member)."""
    import typing

    args = typing.get_args(union)
    if args and typing.get_origin(union) is typing.Annotated:
        args = typing.get_args(args[0])
    out: dict[str, Any] = {}
    for m in args:
        field = getattr(m, "model_fields", {}).get("type")
        for lit in typing.get_args(field.annotation) if field else ():
            out[lit] = m
    return out


def validate_event(union: Any, obj: dict[str, Any]) -> dict[str, Any]:
    """Validate an outgoing event against its member of the SDK's event ``union`` (by its ``type``)."""
    model = union_members(union).get(obj.get("type"))
    return validate_response(model if model is not None else union, obj)


def validate_response(model: Any, obj: Any) -> Any:
    """Validate an outgoing object against the SDK response model (what strict clients will do)."""
    from pydantic import ValidationError

    try:
        validate_python(model, obj)
    except ValidationError as e:  # a stub bug: log loudly, tell the client clearly
        log.error("stub produced an invalid %s: %s\n%s", getattr(model, "__name__", model), e, json.dumps(obj)[:2000])
        raise StubError(f"The workshop stub produced an invalid {getattr(model, '__name__', 'object')} "
                        f"({format_validation_error(e, ())}). This is a bug in helpers/stub; see the server log.",
                        status=400, error_type="invalid_request_error") from None
    return obj


@cache
def sdk_types():
    """The SDK's beta types and beta session types, imported lazily (importing them costs ~1 s; only the stub
    pays it): ``beta, sessions = sdk_types()``."""
    from anthropic.types import beta
    from anthropic.types.beta import sessions

    return beta, sessions


def check_system_message(events: Sequence[Any], i: int, where: str) -> None:
    """The SDK's rule (BetaManagedAgentsSystemMessageEventParams): "At most one per request: it must be the final
    event and immediately follow the user.message, user.tool_result, or user.custom_tool_result it accompanies."
    """
    before = events[i - 1].get("type") if i and isinstance(events[i - 1], dict) else None
    if i != len(events) - 1 or before not in ("user.message", "user.tool_result", "user.custom_tool_result"):
        raise InvalidRequest(
            f"{where}: a system.message must be the final event of its request, right after the user.message, "
            "user.tool_result or user.custom_tool_result it accompanies (at most one per request). Send it in "
            f"the same events.send call, last{f', not after a {before}' if before else ''}.")
