"""The stub's list prices (helpers/stub/pricing.py): every model the SDK lists is priced with a cited source, or is
refused a budget with a clear error, never given an invented price."""
from __future__ import annotations

import typing
from decimal import Decimal

import anthropic
import pytest

from helpers.stub import pricing


def sdk_models() -> list[str]:
    """The model ids the installed SDK's BetaManagedAgentsModel lists (its Literal; any other string is allowed too)."""
    from anthropic.types.beta import beta_managed_agents_model

    literal = next(arg for arg in typing.get_args(beta_managed_agents_model.BetaManagedAgentsModel)
                   if typing.get_origin(arg) is typing.Literal)
    return list(typing.get_args(literal))


def test_every_model_the_sdk_lists_is_priced_or_said_unpriced():
    models = sdk_models()
    assert "claude-opus-4-7" in models and len(models) >= 10  # the reading of the SDK's type works
    missing = [m for m in models if m not in pricing.LIST_PRICES and m not in pricing.UNPRICED]
    assert not missing, f"add a cited list price (or an UNPRICED reason) to helpers/stub/pricing.py for {missing}"
    assert not set(pricing.LIST_PRICES) & set(pricing.UNPRICED)


def test_every_price_names_its_source():
    for model in pricing.LIST_PRICES:
        assert "platform.claude.com/docs/" in pricing.SOURCES.get(model, ""), model
    for model, why in pricing.UNPRICED.items():
        assert why and pricing.unpriced_reason(model) == why


def test_the_default_model_is_budgetable():
    from helpers import settings

    assert pricing.list_price(settings.MODEL) is not None


def test_rates_where_the_cache_read_is_not_a_tenth():
    usage = {"cache_read_input_tokens": 1_000_000}
    assert pricing.cost_usd("claude-opus-5-5", usage) == Decimal("0.20")  # 0.05x of $4
    assert pricing.cost_usd("claude-fable-5-1", usage) == Decimal("0.25")  # 0.025x of $10
    assert pricing.cost_usd("claude-opus-4-7", usage) == Decimal("0.50")
    mixed = {"input_tokens": 1000, "output_tokens": 2000, "cache_creation_input_tokens": 4000,
             "cache_read_input_tokens": 8000}
    assert pricing.cost_usd("claude-opus-4-7", mixed) == (1000 * 5 + 2000 * 25 + 4000 * Decimal("6.25")
                                                          + 8000 * Decimal("0.5")) / 1_000_000


def test_haiku_5_5_prices_a_long_prompt_at_its_second_rate():
    short = {"input_tokens": 10_000, "cache_read_input_tokens": 90_000, "output_tokens": 1000}
    long = {**short, "cache_read_input_tokens": 90_001}  # the prompt is now 100,001 tokens
    assert pricing.prompt_tokens(short) == 100_000
    assert pricing.cost_usd("claude-haiku-5-5", short) == (10_000 * Decimal("0.10") + 90_000 * Decimal("0.01")
                                                           + 1000 * Decimal("0.50")) / 1_000_000
    assert pricing.cost_usd("claude-haiku-5-5", long) == (10_000 * Decimal("0.50") + 90_001 * Decimal("0.05")
                                                          + 1000 * Decimal("2.50")) / 1_000_000


def test_an_unpriced_model_costs_nothing_and_is_refused_a_budget(client):
    assert pricing.cost_usd("claude-fable-5-2", {"input_tokens": 10**6}) == 0
    assert "no list price" not in pricing.unpriced_reason("claude-fable-5-2")  # a reason, not a restatement
    assert "not in the table" in pricing.unpriced_reason("claude-nonesuch-1")
    env = client.beta.environments.create(name="pricing")
    agent = client.beta.agents.create(model="claude-fable-5-2", name="unpriced")
    budget = {"type": "limit", "max_list_cost": {"amount": "500", "currency": "USD"}}
    with pytest.raises(anthropic.BadRequestError, match="claude-fable-5-2.*no list price") as e:
        client.beta.sessions.create(agent=agent.id, environment_id=env.id, budget=budget)
    assert e.value.body["error"]["details"]["error_code"] == "model_not_budgetable"
    # the 400 says why the model has no price (Fable 5.2: no stored Anthropic page shows it), not only that it has none
    assert "Why: no stored Anthropic page shows its price" in e.value.body["error"]["message"]
    session = client.beta.sessions.create(agent=agent.id, environment_id=env.id)  # without a budget it runs
    assert session.usage.list_cost is None


def _drill():
    from support.scripts import script

    return script("make_recordings")


@pytest.mark.parametrize("model,cents", [
    ("claude-opus-4-7", None),     # the default model, the drill's price: 07's cap (BUDGET_DRILL_CENTS)
    ("claude-fable-5", None),      # a dearer one: the same cap stops it after its first request
    ("claude-sonnet-4-6", "3"),    # a cheaper one: the cap its spend reaches (the 400 below names it)
])
def test_the_budget_drill_replays_at_any_listed_price(client, model, cents):
    """budget-reached is authored at the default model's price (BUDGET_DRILL_PRICED_AT). At another model's price the
    cap stops the walk where that price reaches it; raised, the walk goes on, and the recorded stop (now under the cap)
    ends the turn."""
    from helpers import incident, loop, resources

    gen = _drill()
    cap = int(cents or gen.BUDGET_DRILL_CENTS)
    env = client.beta.environments.create(name=f"drill-{model}")
    agent = client.beta.agents.create(model=model, name="drill", tools=resources.agent_tools())
    log_file = resources.ensure_log_file(client)
    budget = {"type": "limit", "max_list_cost": {"amount": str(cap), "currency": "USD"}}
    s = resources.new_session(client, agent, env, log_file, budget=budget, metadata={"recording": "budget-reached"})
    capped = loop.run(client, s.id, "Budget drill: investigate.", handle_tool=incident.handle_tool, render=False)
    spent = int(client.beta.sessions.retrieve(s.id).usage.list_cost.amount)
    ends = [ev for ev in capped.events if ev.type == "span.model_request_end"]
    before_last = sum(pricing.cost_usd(model, ev.model_usage.model_dump()) for ev in ends[:-1]) * 100
    # the cap stops the first model request that would start at or over it; the one in flight finishes first, so the
    # spend passes the cap by at most that last request
    assert capped.stop_reason == "budget_reached" and spent >= cap and before_last < cap, (capped.stop_reason, spent)
    requests = len(ends)
    if model == gen.BUDGET_DRILL_PRICED_AT:  # what 07 teaches: a few requests, then the cap, the spend a little past
        assert requests == 3 and spent > cap, (requests, spent)
    client.beta.sessions.update(s.id, budget={"type": "limit", "max_list_cost": {"amount": "50", "currency": "USD"}})
    resumed = loop.run(client, s.id, handle_tool=incident.handle_tool, render=False)
    assert resumed.stop_reason == "end_turn"
    more = sum(ev.type == "span.model_request_end" for ev in resumed.events)
    # at the drill's own price the cap stopped it at the recorded stop; any other price stopped it earlier
    assert (more > 0) == (model != gen.BUDGET_DRILL_PRICED_AT), (model, requests, more)


def test_the_budget_drill_at_a_cheaper_price_is_refused_with_the_budget_that_fits(client):
    """At claude-sonnet-4-6's price the drill's three requests cost 3.9 cents: live, a 6-cent cap would not stop
    there, so the stub refuses the session and names the budget that fits (3 cents)."""
    from helpers import resources

    gen = _drill()
    env = client.beta.environments.create(name="drill-cheaper")
    agent = client.beta.agents.create(model="claude-sonnet-4-6", name="drill", tools=resources.agent_tools())
    budget = {"type": "limit", "max_list_cost": {"amount": str(gen.BUDGET_DRILL_CENTS), "currency": "USD"}}
    with pytest.raises(anthropic.BadRequestError, match="budget_reached after spending 3.9") as e:
        resources.new_session(client, agent, env, resources.ensure_log_file(client), budget=budget,
                              metadata={"recording": "budget-reached"})
    assert '"amount": "3"' in e.value.body["error"]["message"]
