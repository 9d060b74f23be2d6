"""List prices the stub uses to price a session's usage (``usage.list_cost``) and enforce its budget.

Written once, here. The service prices "everything the session consumes at public list rates"
(https://platform.claude.com/docs/en/managed-agents/budgets); offline the stub prices the recorded tokens only
(input, output, cache writes, cache reads) at the rates below, in US dollars per million tokens (MTok). Every model the
SDK's ``BetaManagedAgentsModel`` lists (``anthropic`` 2.17.0) is here, each with the page its price was read from
(``SOURCES``); ``tests/test_pricing.py`` keeps the table in step with the SDK.

A model with no list price (none here, or ``UNPRICED``: no price could be cited from Anthropic's pages) cannot be
measured by a budget, so a budget on a session that runs it is refused with ``model_not_budgetable``, as the service
refuses one whose model has no public list price; its sessions carry no ``usage.list_cost``. Nothing is invented.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = ["Rates", "ListPrice", "LIST_PRICES", "UNPRICED", "SOURCES", "CURRENCY", "list_price", "unpriced_reason",
           "prompt_tokens", "cost_usd", "to_minor_units", "from_minor_units"]

#: The one currency the API prices in (``BetaCurrency``); amounts are in its minor units (cents).
CURRENCY = "USD"

PRICING_PAGE = "https://platform.claude.com/docs/en/about-claude/pricing"
_MODEL_PAGE = "https://platform.claude.com/docs/zh-CN/models/{}/overview"  # the stored copies read were zh-CN


@dataclass(frozen=True)
class Rates:
    """USD per million tokens: base input, 5-minute cache write, 1-hour cache write, cache read (hits and
    refreshes), output: the columns of the pricing page's model table, in its order."""

    input: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal
    cache_read: Decimal
    output: Decimal

    @classmethod
    def of(cls, *usd: str) -> Rates:
        return cls(*(Decimal(v) for v in usd))


@dataclass(frozen=True)
class ListPrice:
    """A model's list price: one set of rates, or (``long_prompt``) a second set for a request whose prompt is over
    ``long_prompt_over`` tokens (Claude Haiku 5.5: "for prompts over 100,000 tokens")."""

    rates: Rates
    long_prompt_over: int | None = None
    long_prompt: Rates | None = None

    def rates_for(self, prompt: int) -> Rates:
        if self.long_prompt is not None and self.long_prompt_over is not None and prompt > self.long_prompt_over:
            return self.long_prompt
        return self.rates


_OPUS_4_5_TO_5 = Rates.of("5", "6.25", "10", "0.50", "25")
_SONNET_4 = Rates.of("3", "3.75", "6", "0.30", "15")
_HAIKU_4_5 = Rates.of("1", "1.25", "2", "0.10", "5")
_SONNET_5 = Rates.of("2", "2.50", "4", "0.20", "10")

#: model id -> its list price. Where each figure was read: ``SOURCES``.
LIST_PRICES: dict[str, ListPrice] = {
    "claude-fable-5-1": ListPrice(Rates.of("10", "12.50", "20", "0.25", "50")),
    "claude-fable-5": ListPrice(Rates.of("10", "12.50", "20", "1", "50")),
    "claude-opus-5-5": ListPrice(Rates.of("4", "5", "8", "0.20", "20")),
    "claude-opus-5": ListPrice(_OPUS_4_5_TO_5),
    "claude-opus-4-8": ListPrice(_OPUS_4_5_TO_5),
    "claude-opus-4-7": ListPrice(_OPUS_4_5_TO_5),
    "claude-opus-4-6": ListPrice(_OPUS_4_5_TO_5),
    "claude-opus-4-5": ListPrice(_OPUS_4_5_TO_5),
    "claude-opus-4-5-20251101": ListPrice(_OPUS_4_5_TO_5),
    "claude-sonnet-5-5": ListPrice(_SONNET_5),
    "claude-sonnet-5": ListPrice(_SONNET_5),
    "claude-sonnet-4-6": ListPrice(_SONNET_4),
    "claude-sonnet-4-5": ListPrice(_SONNET_4),  # no longer in the SDK's list (2.17.0); still a supported model
    "claude-sonnet-4-5-20250929": ListPrice(_SONNET_4),
    "claude-haiku-5-5": ListPrice(Rates.of("0.10", "0.125", "0.20", "0.01", "0.50"), long_prompt_over=100_000,
                                  long_prompt=Rates.of("0.50", "0.625", "1", "0.05", "2.50")),
    "claude-haiku-4-5": ListPrice(_HAIKU_4_5),
    "claude-haiku-4-5-20251001": ListPrice(_HAIKU_4_5),
}

#: Where each price was read (stored copies of Anthropic's pages, read 2026-12), and what was not found.
SOURCES: dict[str, str] = {
    **{m: f"{PRICING_PAGE} (model table: 'Claude Opus 4.8 | $5 / MTok | $6.25 / MTok | $10 / MTok | $0.50 / MTok | "
          "$25 / MTok', the same row for Opus 5, 4.7, 4.6 and 4.5)"
       for m in ("claude-opus-5", "claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-opus-4-5",
                 "claude-opus-4-5-20251101")},
    "claude-fable-5-1": f"{PRICING_PAGE} ('Claude Fable 5.1 | $10 / MTok | $12.50 / MTok | $20 / MTok | $0.25 / MTok "
                        "| $50 / MTok')",
    "claude-fable-5": f"{PRICING_PAGE} ('Claude Fable 5 | $10 / MTok | $12.50 / MTok | $20 / MTok | $1 / MTok | "
                      "$50 / MTok')",
    "claude-opus-5-5": _MODEL_PAGE.format("opus-5-5") + " (Pricing: input $4, output $20, 5m cache write $5, 1h cache "
                                                        "write $8, cache read $0.20 / MTok)",
    "claude-sonnet-5-5": _MODEL_PAGE.format("sonnet-5-5") + " (Pricing: input $2, output $10, 5m cache write $2.50, "
                                                            "1h cache write $4, cache read $0.20 / MTok; price "
                                                            "trackers report a cut of the cache read to $0.10 on "
                                                            "2026-10-07 that no stored Anthropic page shows)",
    "claude-sonnet-5": _MODEL_PAGE.format("sonnet-5") + " (Pricing: input $2, output $10, 5m cache write $2.50, 1h "
                                                        "cache write $4, cache read $0.20 / MTok)",
    **{m: f"{PRICING_PAGE} (Claude Sonnet 4.6 and 4.5: $3 input, $3.75 / $6 cache writes, $0.30 cache hits, $15 "
          "output / MTok)" for m in ("claude-sonnet-4-6", "claude-sonnet-4-5", "claude-sonnet-4-5-20250929")},
    "claude-haiku-5-5": _MODEL_PAGE.format("haiku-5-5") + " (Pricing: input '$0.10 / MTok for prompts up to 100,000 "
                                                          "tokens, $0.50 / MTok for prompts over 100,000 tokens', "
                                                          "output $0.50 / $2.50, 5m cache write $0.125 / $0.625, 1h "
                                                          "cache write $0.20 / $1. The cache read, $0.01 / $0.05, is "
                                                          "not in the stored excerpt of that page: it is the figure "
                                                          "price guides quote from it, e.g. apidog.com's Haiku 5.5 "
                                                          "API guide)",
    **{m: f"{PRICING_PAGE} (Claude Haiku 4.5: $1 input, $1.25 / $2 cache writes, $0.10 cache hits, $5 output / MTok)"
       for m in ("claude-haiku-4-5", "claude-haiku-4-5-20251001")},
}

#: Models the SDK lists that have no price here, and why: a budget on them is refused (``model_not_budgetable``).
UNPRICED: dict[str, str] = {
    "claude-fable-5-2": "no stored Anthropic page shows its price (the pricing page and model overviews that were "
                        "read predate it; 'What's new in Claude Fable 5.2' mentions pricing but its figures were not "
                        "in the copy read). Third-party resellers quote $8 / $40 per MTok; that is not cited as a "
                        "list price here.",
}

_MILLION = Decimal(1_000_000)


def list_price(model_id: str) -> ListPrice | None:
    """The model's list price, or None when it has none here (a budget cannot measure it)."""
    return LIST_PRICES.get(model_id)


def unpriced_reason(model_id: str) -> str:
    """Why ``model_id`` has no list price here, in one sentence."""
    return UNPRICED.get(model_id) or (f"{model_id!r} is not in the table of helpers/stub/pricing.py (the models of the "
                                      "SDK's BetaManagedAgentsModel, each with its cited list price)")


def _tokens(model_usage: Mapping[str, Any], key: str) -> int:
    return int(model_usage.get(key) or 0)


def prompt_tokens(model_usage: Mapping[str, Any]) -> int:
    """A request's prompt: its input, cache-write and cache-read tokens (the size the Haiku 5.5 tier is decided on;
    the docs say "prompts over 100,000 tokens", and a prompt served from the cache is still that prompt: inferred)."""
    return sum(_tokens(model_usage, k) for k in ("input_tokens", "cache_creation_input_tokens",
                                                  "cache_read_input_tokens"))


def cost_usd(model_id: str, model_usage: Mapping[str, Any]) -> Decimal:
    """The list cost in dollars of one model request's ``model_usage`` (a ``span.model_request_end`` field); 0 for a
    model with no list price. Cache writes are priced at the 5-minute rate: ``model_usage`` does not say which."""
    price = LIST_PRICES.get(model_id)
    if price is None:
        return Decimal(0)
    r = price.rates_for(prompt_tokens(model_usage))
    return (_tokens(model_usage, "input_tokens") * r.input + _tokens(model_usage, "output_tokens") * r.output
            + _tokens(model_usage, "cache_creation_input_tokens") * r.cache_write_5m
            + _tokens(model_usage, "cache_read_input_tokens") * r.cache_read) / _MILLION


def to_minor_units(usd: Decimal) -> str:
    """Dollars -> the API's amount string: whole cents (to the nearest; the budget compares the exact cost)."""
    return str(int((usd * 100).to_integral_value(rounding=ROUND_HALF_UP)))


def from_minor_units(amount: str) -> Decimal:
    """The API's amount string (cents, checked by budgets.check_shape) -> dollars. Decimal reads any number of
    digits; int() refuses 4,300 or more."""
    return Decimal(amount) / 100
