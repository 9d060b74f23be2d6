"""The checks of notebook 01, *The incident by hand*: the onset (1.1), the suspect deploy (1.2), the queries per request (1.3)."""
from __future__ import annotations

from typing import Any

from ..events import attr
from ..i18n import _
from .runs import _TODO_OF_CHECK, need
from .verdicts import fail, ok

__all__ = ["onset", "suspect_deploy", "db_queries"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"onset": "1.1", "suspect_deploy": "1.2", "db_queries": "1.3"})


def onset(onset_ts: Any) -> None:
    """01 (exercise 1.1): the minute checkout p99 first jumps."""
    __tracebackhide__ = True
    import pandas as pd

    need(onset_ts, "onset", "1.1", _("the timestamp where checkout p99 first jumps"))
    try:
        ts = pd.Timestamp(onset_ts)
    except Exception:
        fail(_("`onset` is {value!r}, which is not a timestamp.").format(value=onset_ts),
             _("`checkout` is indexed by ts, so take the timestamp from its index: `{answer}`.").format(answer=_ONSET))
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    expected = pd.Timestamp("2026-11-18T14:07:00Z")
    if abs((ts - expected).total_seconds()) > 120:
        minutes = abs((ts - expected).total_seconds()) / 60
        fail((_("`onset` is {ts}, {minutes:.0f} minutes before the jump in the chart.") if ts < expected else
              _("`onset` is {ts}, {minutes:.0f} minutes after the jump in the chart.")).format(ts=ts.isoformat(),
                                                                                             minutes=minutes),
             _("the onset is the first index where checkout[\"p99_ms\"] > 3 * baseline (baseline: the median p99 up "
               "to 13:30, computed above): `{answer}`.").format(answer=_ONSET))
    ok(_("Onset at {time} UTC: checkout p99 leaves its baseline here.").format(time=ts.strftime("%H:%M")))


_ONSET = "onset = checkout.index[checkout[\"p99_ms\"] > 3 * baseline][0]"


def suspect_deploy(deploy: Any) -> None:
    """01 (exercise 1.2): the last deploy to checkout that landed before the onset."""
    __tracebackhide__ = True
    need(deploy, "suspect", "1.2", _("the deploy (a row or a dict) closest before the onset"))
    deploy_id = attr(deploy, "id") if not isinstance(deploy, str) else deploy
    if deploy_id is None and hasattr(deploy, "get"):
        deploy_id = deploy.get("id")
    if deploy_id == "dep_4819":
        fail(_("`suspect` is dep_4819: it landed before the onset, but on payments, not checkout."),
             _("the latency is checkout's: keep only deploys with service == \"checkout\"."))
    if deploy_id == "dep_4822":
        fail(_("`suspect` is dep_4822: it landed after the onset, so it cannot have caused it."),
             _("keep only deploys with ts <= onset, then take the latest."))
    if deploy_id != "dep_4820":
        fail(_("`suspect` is {value!r}, not the checkout deploy that landed just before the onset.").format(
                 value=deploy_id),
             _("filter deploys to service == \"checkout\" and ts <= onset, sort by ts and take the last row."))
    ok(_("dep_4820 (checkout v2.14.0, commit 9c41e7b) landed 90 s before the onset: the prime suspect."))


def db_queries(before: Any, after: Any) -> None:
    """01 (exercise 1.3): checkout's queries per request before and after the onset."""
    __tracebackhide__ = True
    need(before, "before", "1.3", _("the median db_queries of checkout requests before the onset"))
    need(after, "after", "1.3", _("the median db_queries of checkout requests after the onset"))
    try:
        before, after = float(before), float(after)
    except (TypeError, ValueError):
        fail(_("`before` and `after` should be numbers (medians of the db_queries column)."),
             _("use `logs[mask][\"db_queries\"].median()`."))
    if not (2 <= before <= 9):
        fail(_("`before` is {before:g}; checkout made 3 to 8 queries per request before the deploy.").format(
                 before=before),
             _("select checkout lines with ts < onset (and a db_queries value) before taking the median."))
    if after < 2 * before:
        fail(_("`after` is {after:g}, not much more than before ({before:g}).").format(after=after, before=before),
             _("select checkout lines with ts >= onset (the N+1 query multiplies the queries per request)."))
    ok(_("Queries per checkout request went from {before:g} to {after:g}: one query per line item smells like an "
         "N+1.").format(before=before, after=after))
