"""Session budgets: their shape, the rules for setting and changing one, and the session's list cost.

The rules are the SDK's docstrings (``sessions.create`` / ``sessions.update`` / ``deployments.create``) and
https://platform.claude.com/docs/en/managed-agents/budgets: a budget is ``{"type": "limit", "max_list_cost":
{"amount": "<whole cents>", "currency": "USD"}}``; every model the session can run needs a list price
(``model_not_budgetable``); one cannot be added to a session created without one (``budget_create_only``); lowering it
to at or below what the session already spent is refused (``budget_not_raised``); the session stops issuing model
requests once its list cost reaches the cap (``budget_reached``) and a raised or removed budget resumes the work.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import pricing
from .exceptions import InvalidRequest

__all__ = ["EXAMPLE", "check_shape", "check_models", "check_update", "cap_usd", "usage_cost", "recorded_cost", "unfit"]

EXAMPLE = '{"type": "limit", "max_list_cost": {"amount": "500", "currency": "USD"}} (500 cents = $5.00)'
#: Whole cents, no leading zeros (docs, budgets: "a whole number of US cents written as a string with no leading
#: zeros"). ASCII digits only, matched whole (``fullmatch``: ``$`` alone would accept a final newline).
_AMOUNT = re.compile(r"0|[1-9][0-9]*", re.ASCII)


def check_shape(budget: Any, where: str = "budget") -> None:
    """A 400 naming what is wrong with a budget's shape (before the SDK-type validation, for a clearer message)."""
    if budget is None:
        return
    if not isinstance(budget, dict):
        raise InvalidRequest(f"{where}: must be an object like {EXAMPLE}, got {type(budget).__name__}.")
    if budget.get("type") != "limit":
        raise InvalidRequest(f"{where}.type: must be 'limit' (the only kind of budget), got {budget.get('type')!r}. "
                             f"Example: {EXAMPLE}.")
    cost = budget.get("max_list_cost")
    if not isinstance(cost, dict):
        raise InvalidRequest(f"{where}.max_list_cost: required, an object with amount and currency. Example: {EXAMPLE}.")
    amount, currency = cost.get("amount"), cost.get("currency")
    if not isinstance(amount, str) or not _AMOUNT.fullmatch(amount):
        raise InvalidRequest(f"{where}.max_list_cost.amount: {amount!r} is not an amount in cents: a whole number "
                             "written as a string with no leading zeros and no decimal point, e.g. \"500\" for $5.00 "
                             "or \"50\" for fifty cents.")
    if currency != pricing.CURRENCY:
        raise InvalidRequest(f"{where}.max_list_cost.currency: {currency!r} is not supported; USD is the only "
                             "currency budgets are priced in (uppercase ISO-4217). Use \"currency\": \"USD\".")
    if amount == "0":  # compared as text: int() refuses strings of 4,300+ digits, and the docs set no maximum
        raise InvalidRequest(f"{where}.max_list_cost.amount: must be at least 1 cent; omit the budget to leave the "
                             "session uncapped.")


def check_models(budget: Any, model_id: str, where: str = "budget") -> None:
    """``model_not_budgetable``: a budget needs every model the session can run to have a list price."""
    if budget is not None and pricing.list_price(model_id) is None:
        raise InvalidRequest(f"{where}: the agent's model {model_id!r} has no list price here, so a budget cannot "
                             "measure it (the service refuses a model without a public list price the same way). "
                             f"Why: {pricing.unpriced_reason(model_id).rstrip('.')}. Offline, the prices are the "
                             "table in helpers/stub/pricing.py: use a model it lists (e.g. claude-sonnet-4-6), or "
                             "omit the budget.", error_code="model_not_budgetable")


def cap_usd(budget: dict[str, Any] | None) -> Decimal | None:
    """The cap in dollars, or None for an uncapped session."""
    if not budget:
        return None
    return pricing.from_minor_units(budget["max_list_cost"]["amount"])


def check_update(current: dict[str, Any] | None, new: Any, *, ever_had: bool, spent_usd: Decimal,
                 status: str, model_id: str) -> None:
    """The rules of ``sessions.update(budget=...)`` (the SDK's docstring); raises a 400 naming the rule."""
    if status == "terminated":
        raise InvalidRequest("budget: the session is terminated; a budget can be changed in any other status.")
    if new is None:
        return  # removing a budget is always allowed (and cannot be undone)
    check_shape(new)
    if current is None:
        why = ("its budget was removed, and a removed budget cannot be added back" if ever_had
               else "it was created without one, and a budget can only be set when a session is created")
        raise InvalidRequest(f"budget: this session has no budget: {why}. Create a new session (or deployment) with "
                             f"budget={EXAMPLE} instead.", error_code="budget_create_only")
    check_models(new, model_id)
    cap = cap_usd(new)
    if cap is not None and cap <= spent_usd:
        raise InvalidRequest(f"budget.max_list_cost.amount: {new['max_list_cost']['amount']} cents is at or below what "
                             f"the session has already spent ({pricing.to_minor_units(spent_usd)} cents, "
                             "usage.list_cost). A new budget must be above it; raise the amount, or send budget=None "
                             "to remove the cap.", error_code="budget_not_raised")


def usage_cost(spent_usd: Decimal) -> dict[str, str]:
    """``usage.list_cost`` for a session that has spent ``spent_usd`` at list prices."""
    return {"amount": pricing.to_minor_units(spent_usd), "currency": pricing.CURRENCY}


def recorded_cost(lines: Any, model_id: str) -> Decimal | None:
    """What a recording spent (list price of ``model_id``) before its recorded ``budget_reached`` stop; None if it
    has no such stop."""
    spent = Decimal(0)
    for ln in lines:
        ev = ln.event
        if ev.get("type") == "span.model_request_end":
            spent += pricing.cost_usd(model_id, ev.get("model_usage") or {})
        elif ev.get("type") == "session.status_idle" and (ev.get("stop_reason") or {}).get("type") == "budget_reached":
            return spent
    return None


def unfit(rec: Any, budget: dict[str, Any] | None, model_id: str) -> str | None:
    """Why a session with ``budget`` could not have made ``rec`` (a recording that stops at its budget); None when
    it could: its cap must be at or below what the recording spent before its recorded stop."""
    spent = recorded_cost(rec.lines, model_id)
    if spent is None:
        return None
    cap = cap_usd(budget)
    if cap is not None and cap <= spent:
        return None
    amount = (budget or {}).get("max_list_cost", {}).get("amount", "")
    have = "no budget" if cap is None else f"a budget of {amount if len(amount) <= 20 else amount[:12] + '...'} cents"
    fits = max(1, int(spent * 100))  # whole cents the recorded spend reaches
    return (f"recording {rec.name!r} stops with budget_reached after spending {spent * 100:.2f} cents at list price, "
            f"but this session has {have}, so live it would not stop there. Create the session (or deployment) with "
            f'budget={{"type": "limit", "max_list_cost": {{"amount": "{fits}", "currency": "USD"}}}} or less.')
