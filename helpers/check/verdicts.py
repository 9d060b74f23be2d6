"""A check's verdict: ✅ (:func:`ok`), ❌ (:func:`fail`, :class:`CheckFailed`), ⏭ for an exercise that is optional
in the workshop and not done yet (:func:`skipped`, :func:`not_written`), and values clipped to fit a message (``_clip``).

The lowest file of the package: it imports nothing from it (docs/design.md, "Self-checks: which file owns which rule").
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..i18n import _

__all__ = ["CheckFailed", "ok", "fail", "OPTIONAL_IN_WORKSHOP", "skipped", "not_written"]


def _a(word: str) -> str:
    """``word`` with its indefinite article: "an AttributeError", "a KeyError" (in Japanese, the word alone)."""
    return (_("an {word}") if word[:1].lower() in "aeiou" else _("a {word}")).format(word=word)


class CheckFailed(AssertionError):
    """A check that did not pass. Its message is the whole explanation."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    # IPython shows only what this returns instead of a traceback.
    def _render_traceback_(self) -> list[str]:
        return [self.message]


def ok(message: str) -> None:
    """Report a passed check."""
    print(f"✅ {message}", flush=True)


def fail(problem: str, hint: str | None = None) -> None:
    """Fail a check: ``problem`` says what is wrong in plain words, ``hint`` how to fix it."""
    __tracebackhide__ = True
    raise CheckFailed(_verdict(problem, hint))


def _verdict(problem: str, hint: str | None = None) -> str:
    """The text of a failed check: "❌ ``problem``", and "Hint: ``hint``" on the next line."""
    text = f"❌ {problem}"
    if hint:
        text += "\n" + _("Hint: {hint}").format(hint=hint)
    return text


# ------------------------------------------------------------------ exercises that are optional in the workshop
#: The exercises of the notebooks of the workshop path (00 -> 04) that the room skips: each is headed *(optional in
#: the workshop)*, after its notebook's heading *After the workshop*, where the path ends (scripts/estimate_time.py
#: skips what comes after it; tests/test_check.py keeps the two in step). Their untouched cells run as they are
#: (scripts/make_notebooks.py), and their checks say "not done, optional" without failing, so *Run All* of a
#: presenter-led notebook runs from top to bottom.
OPTIONAL_IN_WORKSHOP = frozenset({"0.1", "1.1", "1.2", "1.3", "2.3", "4.2", "4.3"})


class _Skipped(Exception):
    """An optional exercise not done yet: its check prints this instead of failing (see :func:`_skippable`)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def skipped(todo: str, why: str) -> None:
    """Stop the check of an optional exercise that is not done yet, without failing its cell."""
    raise _Skipped("⏭ " + _("TODO {todo} is not done yet: {why}. It is optional in the workshop; for later, write it in "
                            "its cell, run that cell, then run this check again.").format(todo=todo, why=why))


def not_written(todo: str, what: str) -> None:
    """``what`` still raises NotImplementedError: skipped when the exercise is optional in the workshop, else ❌."""
    __tracebackhide__ = True
    if todo in OPTIONAL_IN_WORKSHOP:
        skipped(todo, _("{what} still raises NotImplementedError").format(what=what))
    fail(_("{what} still raises NotImplementedError: TODO {todo} is not done yet.").format(what=what, todo=todo),
         _("write your code in place of the `raise NotImplementedError(...)` line of TODO {todo}, run that cell, "
           "then run this one again.").format(todo=todo))


def _skippable(check: Callable) -> Callable:
    import functools

    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> None:
        __tracebackhide__ = True
        try:
            return check(*args, **kwargs)
        except _Skipped as skip:
            print(skip.message, flush=True)
            return None

    return run


def _clip(value: Any, limit: int = 80) -> str:
    """``value`` as text, about ``limit`` characters at most, cut only between tokens: prose at a space; JSON and
    Python reprs between items, never inside a string or a number (a long string is closed where it is cut, at a
    space). "…" marks a cut."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return text
    if text.lstrip()[:1] in ("{", "[", "(", "'", '"'):
        return _clip_structure(text, limit)
    cut = text.rfind(" ", 0, limit)
    return (text[:cut] if cut > limit // 2 else text[:limit]).rstrip() + " …"


def _clip_structure(text: str, limit: int) -> str:
    best, quote, start, escaped = 0, None, 0, False
    for i, ch in enumerate(text[:limit]):  # a cut goes between items: after a comma or a bracket, never in a string
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote, start = ch, i
        elif ch in ",;{}[]()":
            best = i + 1
    if quote and limit - start > 20:  # a long string: cut it at a space inside, and close it
        space = text.rfind(" ", start + 1, limit)
        end = space if space > start + 10 else limit
        return text[:end].rstrip() + "…" + quote + " …"
    return text[:best].rstrip() + " …"
