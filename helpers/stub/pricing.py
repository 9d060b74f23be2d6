"""List prices the stub uses to price a session's usage (``usage.list_cost``) and enforce its budget.

Written once, here. The service prices "everything the session consumes at public list rates"
(https://platform.claude.com/docs/en/managed-agents/budgets); offline the stub prices the recorded tokens only
(input, output, cache writes, cache reads) at the rates below, in US dollars per million tokens, as published on
https://platform.claude.com/docs/en/about-claude/pricing. A model missing from the table has no list price here, so
a budget on a session that runs it is refused with ``model_not_budgetable``, as the service refuses one whose model
has no public list price.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["LIST_PRICES", "CURRENCY", "list_price", "cost_usd", "to_minor_units", "from_minor_units"]

#: The one currency the API prices in (``BetaCurrency``); amounts are in its minor units (cents).
CURRENCY = "USD"

#: model id -> USD per million tokens: input, output, 5-minute cache write, 1-hour cache write, cache read.
LIST_PRICES: dict[str, dict[str, Decimal]] = {
    model: {"input": Decimal(i), "output": Decimal(o), "cache_write_5m": Decimal(i) * Decimal("1.25"),
            "cache_write_1h": Decimal(i) * 2, "cache_read": Decimal(i) / 10}
    for model, (i, o) in {
        "claude-opus-4-8": ("5", "25"),
        "claude-opus-4-7": ("5", "25"),
        "claude-opus-4-6": ("5", "25"),
        "claude-opus-4-5": ("5", "25"),
        "claude-opus-4-5-20251101": ("5", "25"),
        "claude-sonnet-4-6": ("3", "15"),
        "claude-sonnet-4-5": ("3", "15"),
        "claude-sonnet-4-5-20250929": ("3", "15"),
        "claude-haiku-4-5": ("1", "5"),
        "claude-haiku-4-5-20251001": ("1", "5"),
    }.items()
}

_MILLION = Decimal(1_000_000)


def list_price(model_id: str) -> dict[str, Decimal] | None:
    """The model's list prices, or None when it has none (a budget cannot measure it)."""
    return LIST_PRICES.get(model_id)


def cost_usd(model_id: str, model_usage: Mapping[str, Any]) -> Decimal:
    """The list cost in dollars of one model request's ``model_usage`` (a ``span.model_request_end`` field)."""
    p = LIST_PRICES.get(model_id)
    if p is None:
        return Decimal(0)

    def n(key: str) -> Decimal:
        return Decimal(int(model_usage.get(key) or 0))

    cache_5m = n("cache_creation_input_tokens")
    return (n("input_tokens") * p["input"] + n("output_tokens") * p["output"] + cache_5m * p["cache_write_5m"]
            + n("cache_read_input_tokens") * p["cache_read"]) / _MILLION


def to_minor_units(usd: Decimal) -> str:
    """Dollars -> the API's amount string: whole cents (to the nearest; the budget compares the exact cost)."""
    return str(int((usd * 100).to_integral_value(rounding=ROUND_HALF_UP)))


def from_minor_units(amount: str) -> Decimal:
    """The API's amount string (cents, checked by budgets.check_shape) -> dollars. Decimal reads any number of
    digits; int() refuses 4,300 or more."""
    return Decimal(amount) / 100
