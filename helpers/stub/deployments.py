"""Deployments and deployment runs (state and rules, moto's ``models`` for ``/v1/deployments`` and
``/v1/deployment_runs``), beside :class:`helpers.stub.models.Backend`, which owns one :class:`DeploymentsBackend`.

Behaviour follows the SDK's docstrings (``resources/beta/deployments.py``, ``deployment_runs.py``, the types
``BetaManagedAgentsDeployment*``) and https://platform.claude.com/docs/en/managed-agents/scheduled-deployments:

* A deployment pins its agent to a version (an id string pins the latest; an object needs its version), needs 1-50
  ``initial_events`` (``user.message``, ``user.define_outcome``, ``system.message``; at least one of the first two,
  which start the work, and a ``system.message`` only last, after a ``user.message``), and may carry ``resources``,
  a ``budget`` (its model must have a list price), ``metadata`` and a cron ``schedule`` (5-field POSIX cron plus an
  IANA timezone).
* ``run`` records a :data:`run <BetaManagedAgentsDeploymentRun>`: it creates a session from the deployment (agent
  pinned, its resources, budget and metadata, ``deployment_id`` set) and sends the initial events, so the work starts
  at once. A session that cannot be created makes a run with ``error`` and no session.
* Paused deployments suppress scheduled fires; manual runs are still allowed. Archived deployments cannot run, be
  updated, paused or unpaused (409 ``conflict_error``, docs/design.md fidelity rule 2); their schedule has no
  upcoming runs.

Offline difference: the stub computes ``schedule.upcoming_runs_at`` but never fires a schedule (a workshop does
not wait for cron); ``deployments.run`` is how a run starts offline.
"""
from __future__ import annotations

import builtins
import copy
from datetime import datetime, timedelta, timezone
from typing import Any

from ..i18n import _
from . import budgets
from .exceptions import Conflict, InvalidRequest, StubError, get_or_404, offline_hint
from .utils import Cursor, TimeRange, new_id, now, paginate, parse_time, patch_metadata, rfc3339
from .validation import check_system_message, sdk_types, validate_response

__all__ = ["DeploymentsBackend", "parse_cron", "upcoming", "check_schedule"]

_CRON_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day-of-month", 1, 31), ("month", 1, 12), ("day-of-week", 0, 7))
_NAMES = {3: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
          4: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]}
_CRON_HINT = ("Use 5 fields, minute hour day-of-month month day-of-week, e.g. \"0 9 * * 1-5\" (weekdays at 09:00); "
              "seconds or year fields, L, W, #, ? and shortcuts such as @daily are not supported.")


# --------------------------------------------------------------------------------------------------------------
# cron (the subset the SDK's docstring allows)
# --------------------------------------------------------------------------------------------------------------
def _cron_value(tok: str, i: int, lo: int, hi: int, expr: str) -> int:
    names = _NAMES.get(i)
    if names and tok.upper() in names:
        return names.index(tok.upper()) + lo
    # ASCII digits only: str.isdigit() also accepts "²" (int() raises) and "٣" (int() reads 3)
    if not (tok.isascii() and tok.isdigit()):
        raise InvalidRequest(f"schedule.expression: {expr!r}: {tok!r} is not a value of the "
                             f"{_CRON_FIELDS[i][0]} field. {_CRON_HINT}")
    v = int(tok) if len(tok) <= 9 else hi + 1  # int() refuses 4300+ digits; anything this long is out of range
    if not lo <= v <= hi:
        raise InvalidRequest(f"schedule.expression: {expr!r}: {tok[:12]}{'...' if len(tok) > 12 else ''} is out of "
                             f"range for the {_CRON_FIELDS[i][0]} field ({lo}-{hi}). {_CRON_HINT}")
    return v


def parse_cron(expr: Any) -> list[set]:
    """The allowed values of each of the 5 fields; a 400 for anything the SDK's docstring rules out."""
    if not isinstance(expr, str) or not expr.strip():
        raise InvalidRequest(f"schedule.expression: required, a cron expression. {_CRON_HINT}")
    if expr.strip().startswith("@"):
        raise InvalidRequest(f"schedule.expression: {expr!r}: predefined shortcuts are not supported. {_CRON_HINT}")
    bad = sorted({c for c in expr if c in "LW#?"})
    if bad:
        raise InvalidRequest(f"schedule.expression: {expr!r}: the special character(s) {' '.join(bad)} are "
                             f"extended cron syntax. {_CRON_HINT}")
    parts = expr.split()
    if len(parts) != 5:
        raise InvalidRequest(f"schedule.expression: {expr!r} has {len(parts)} fields, not 5. {_CRON_HINT}")
    out = []
    for i, (part, (_name, lo, hi)) in enumerate(zip(parts, _CRON_FIELDS, strict=False)):
        values: set = set()
        for item in part.split(","):
            rng, _, step_s = item.partition("/")
            step = _cron_value(step_s, i, 1, 10**6, expr) if step_s else 1
            if rng == "*":
                a, b = lo, hi
            elif "-" in rng:
                a_s, b_s = rng.split("-", 1)
                a, b = _cron_value(a_s, i, lo, hi, expr), _cron_value(b_s, i, lo, hi, expr)
                if a > b:
                    raise InvalidRequest(f"schedule.expression: {expr!r}: the range {rng!r} runs backwards. {_CRON_HINT}")
            else:
                a = _cron_value(rng, i, lo, hi, expr)
                b = hi if step_s else a
            values.update(range(a, b + 1, step))
        if i == 4 and 7 in values:  # 0 and 7 both mean Sunday
            values = (values - {7}) | {0}
        out.append(values)
    return out


#: The most days each month can have (February: 29, in leap years).
_MONTH_DAYS = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def never_fires(fields: list[set]) -> bool:
    """True when no date ever matches: the day-of-week field is ``*`` (so the day-of-month alone decides, POSIX) and
    no listed month has any of the listed days ("0 0 30 2 *", "0 0 31 4,6,9,11 *"). Any other expression fires
    within 8 years (a restricted day-of-week matches some day of every month; February 29 comes every 4 years)."""
    _, _, doms, months, dows = fields
    return len(dows) == 7 and len(doms) < 31 and not any(d <= _MONTH_DAYS[m] for m in months for d in doms)


def upcoming(expr: str, tz_name: str, after: datetime, n: int = 5) -> list[datetime]:
    """The next ``n`` times (UTC) the expression matches in ``tz_name`` after ``after``."""
    from zoneinfo import ZoneInfo

    minutes, hours, doms, months, dows = parse_cron(expr)
    tz = ZoneInfo(tz_name)
    star_dom, star_dow = len(doms) == 31, len(dows) == 7
    local = after.astimezone(tz)
    day = local.date()
    found: list[datetime] = []
    for _step in range(366 * 8):  # enough for any valid expression (Feb 29 included)
        if day.month in months:
            dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
            # POSIX: when both day fields are restricted, either may match
            if (dom_ok and dow_ok) if (star_dom or star_dow) else (dom_ok or dow_ok):
                for h in sorted(hours):
                    for m in sorted(minutes):
                        t = datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
                        if t > local:
                            found.append(t.astimezone(timezone.utc))
                            if len(found) == n:
                                return found
        day += timedelta(days=1)
    return found


def _check_timezone(name: Any) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(name, str) or not name:
        raise InvalidRequest("schedule.timezone: required when a schedule is set: an IANA timezone such as \"UTC\" "
                             "or \"Europe/Berlin\" (the cron expression is read in it).")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file name
        raise InvalidRequest(f"schedule.timezone: {name[:60]!r} is not an IANA timezone; use a name such as \"UTC\", "
                             "\"America/Los_Angeles\" or \"Europe/Berlin\".") from None


def check_schedule(schedule: Any) -> None:
    """Validate a schedule's shape before the SDK types do (a clearer message for the common mistakes)."""
    if schedule is None:
        return
    if not isinstance(schedule, dict):
        raise InvalidRequest("schedule: must be an object {\"type\": \"cron\", \"expression\": \"0 9 * * *\", "
                             "\"timezone\": \"UTC\"}, or null for manual runs only.")
    if schedule.get("type") != "cron":
        raise InvalidRequest(f"schedule.type: must be 'cron' (the only kind), got {schedule.get('type')!r}.")
    _check_timezone(schedule.get("timezone"))
    if never_fires(parse_cron(schedule.get("expression"))):
        # Inference: the SDK's docstring of schedule.upcoming_runs_at says it is "Non-empty for active and paused
        # deployments", so the service cannot accept a schedule with no fire time at all.
        raise InvalidRequest(f"schedule.expression: {schedule['expression']!r} never fires: none of its months has "
                             "the day of the month it names (February has at most 29 days; April, June, September "
                             f"and November 30). {_CRON_HINT}")


# --------------------------------------------------------------------------------------------------------------
# the backend
# --------------------------------------------------------------------------------------------------------------
_RUN_ERRORS = {"agent_archived": "agent_archived_error", "environment_archived": "environment_archived_error",
               "environment_not_found": "environment_not_found_error", "file_not_found": "file_not_found_error",
               "vault_archived": "vault_archived_error", "vault_not_found": "vault_not_found_error"}


class DeploymentsBackend:
    """Deployments and their runs. Uses the owning backend's lock, agents, environments, files and sessions."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.deployments: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}

    # ---------------------------------------------------------------- helpers
    def _deployment(self, deployment_id: str) -> dict[str, Any]:
        return get_or_404(self.deployments, "deployment", deployment_id, "Create one with client.beta.deployments."
                          "create(...) and use its .id; list yours with client.beta.deployments.list().")

    def _pin(self, ref: Any, where: str = "agent") -> dict[str, Any]:
        """An agent reference resolved to a concrete version (the agent must exist and not be archived). The object
        form needs both id and version (SDK docstring of ``DeploymentCreateParams.agent``): no silent "latest"."""
        if not isinstance(ref, str) and ref.get("version") is None:
            raise InvalidRequest(f"{where}.version: required when {where} is an object: a deployment pins its agent. "
                                 + offline_hint(_("pass agent={reference}, or agent={id} (the id string) to pin the "
                                                  "latest version.").format(
                                     reference=f'{{"type": "agent", "id": {ref["id"]!r}, "version": N}}', id=repr(ref["id"]))))
        agent = self.backend.agents.get(ref) if isinstance(ref, str) else self.backend.agents.get(ref["id"], ref["version"])
        if agent["archived_at"]:
            raise InvalidRequest(f"{where}: agent {agent['id']!r} is archived and cannot be deployed. Create a new "
                                 "agent (or deploy another one).")
        return {"type": "agent", "id": agent["id"], "version": agent["version"]}

    def _check_env(self, env_id: str) -> None:
        env = self.backend.environments.get(env_id)
        if env["archived_at"]:
            raise InvalidRequest(f"environment_id: environment {env_id!r} is archived; deploy into an active one.",
                                 error_code="environment_archived")

    def _check_common(self, p: dict[str, Any]) -> None:
        events = p.get("initial_events")
        if events is not None and not 1 <= len(events) <= 50:
            raise InvalidRequest(f"initial_events: at least 1 and at most 50 events, got {len(events)}. A deployment "
                                 "needs a user.message (or user.define_outcome) that starts each session's work.")
        if events is not None:
            types = [e.get("type") for e in events]
            if not {"user.message", "user.define_outcome"} & set(types):
                raise InvalidRequest(f"initial_events: {', '.join(map(str, types))} can never start a run: add a "
                                     "user.message (or a user.define_outcome) that starts each session's work.")
            for i, t in enumerate(types):
                if t == "system.message":  # the rule sessions apply to events.send (one rule, in validation.py)
                    check_system_message(events, i, f"initial_events[{i}]")
        if "name" in p and not (p["name"] or "").strip():
            raise InvalidRequest("name: must be a non-empty string.")
        for _i, r in enumerate(p.get("resources") or []):
            if r.get("type") == "file":
                self.backend.files.get(r["file_id"])
        if len(p.get("resources") or []) > 500:
            raise InvalidRequest("resources: at most 500.")

    @staticmethod
    def _upcoming(d: dict[str, Any]) -> builtins.list[str]:
        """The schedule's next fire times, computed once until the first of them passes (a rare day such as
        February 29 takes a scan of years; a list of deployments would repeat it for each, under the lock)."""
        s, t, memo = d["_schedule"], now(), d.get("_upcoming")
        if memo is None or memo[0] != (s["expression"], s["timezone"]) or (memo[1] and memo[1][0] <= t):
            memo = ((s["expression"], s["timezone"]), upcoming(s["expression"], s["timezone"], t))
            d["_upcoming"] = memo
        return [rfc3339(x) for x in memo[1] if x > t]

    def _schedule_view(self, d: dict[str, Any]) -> dict[str, Any] | None:
        s = d["_schedule"]
        if s is None:
            return None
        nxt = [] if d["archived_at"] else self._upcoming(d)
        return {"type": "cron", "expression": s["expression"], "timezone": s["timezone"],
                "upcoming_runs_at": nxt, "last_run_at": d["_last_run_at"]}

    def _view(self, d: dict[str, Any]) -> dict[str, Any]:
        beta, _ = sdk_types()
        out = {k: copy.deepcopy(v) for k, v in d.items() if not k.startswith("_")}
        out["schedule"] = self._schedule_view(d)
        return validate_response(beta.BetaManagedAgentsDeployment, out)

    @staticmethod
    def _resources(rs: builtins.list[dict[str, Any]] | None) -> builtins.list[dict[str, Any]]:
        # Echoes the input minus write-only credentials (authorization_token).
        return [{k: v for k, v in r.items() if k != "authorization_token"} for r in rs or []]

    # ---------------------------------------------------------------- deployments
    def create(self, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``DeploymentCreateParams`` (responses.py checked the budget and schedule)."""
        with self.backend.lock:
            agent = self._pin(p["agent"])
            self._check_env(p["environment_id"])
            self._check_common(p)
            budgets.check_models(p.get("budget"), self.backend.agents.get(agent["id"], agent["version"])["model"]["id"])
            t = rfc3339(now())
            d = {"id": new_id("depl"), "type": "deployment", "name": p["name"], "description": p.get("description"),
                 "agent": agent, "environment_id": p["environment_id"],
                 "initial_events": copy.deepcopy(list(p["initial_events"])),
                 "resources": self._resources(p.get("resources")), "vault_ids": list(p.get("vault_ids") or []),
                 "metadata": patch_metadata({}, p.get("metadata")), "budget": p.get("budget"),
                 "status": "active", "paused_reason": None, "archived_at": None, "created_at": t, "updated_at": t,
                 "_schedule": p.get("schedule"), "_last_run_at": None}
            view = self._view(d)
            self.deployments[d["id"]] = d
            return view

    def get(self, deployment_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._view(self._deployment(deployment_id))

    def update(self, deployment_id: str, p: dict[str, Any]) -> dict[str, Any]:
        """``p``: the validated ``DeploymentUpdateParams``."""
        with self.backend.lock:
            d = self._deployment(deployment_id)
            if d["archived_at"]:
                raise Conflict(f"deployment {deployment_id!r} is archived and cannot be changed. Create a new one.")
            for key in ("agent", "environment_id", "initial_events", "name"):
                if key in p and p[key] is None:
                    raise InvalidRequest(f"{key}: cannot be cleared; omit it to keep the current value.")
            self._check_common(p)
            new = dict(d)
            if "agent" in p:
                new["agent"] = self._pin(p["agent"])
            if "environment_id" in p:
                self._check_env(p["environment_id"])
                new["environment_id"] = p["environment_id"]
            for key in ("name", "description", "budget"):
                if key in p:
                    new[key] = p[key] if p[key] != "" or key != "description" else None
            if "initial_events" in p:
                new["initial_events"] = copy.deepcopy(list(p["initial_events"]))
            if "resources" in p:
                new["resources"] = self._resources(p["resources"])
            if "vault_ids" in p:
                new["vault_ids"] = list(p["vault_ids"] or [])
            if "metadata" in p:
                new["metadata"] = patch_metadata(d["metadata"], p["metadata"])
            if "schedule" in p:
                new["_schedule"] = p["schedule"]
            agent = self.backend.agents.get(new["agent"]["id"], new["agent"]["version"])
            budgets.check_models(new["budget"], agent["model"]["id"])
            new["updated_at"] = rfc3339(now())
            view = self._view(new)
            self.deployments[deployment_id] = new
            return view

    def list(self, *, include_archived: bool, status: str | None, agent_id: str | None,
             created_at: TimeRange, limit: int, page: Cursor | None) -> dict[str, Any]:
        """Newest first; archived ones only with ``include_archived`` (responses.py checked the combination)."""
        with self.backend.lock:
            items = [d for d in self.deployments.values()
                     if (include_archived or not d["archived_at"]) and (not status or d["status"] == status)
                     and (not agent_id or d["agent"]["id"] == agent_id)
                     and created_at.contains(parse_time(d["created_at"], "created_at"))]
            page = paginate(items, lambda d: (d["created_at"], d["id"]), limit=limit, page=page, descending=True)
            page["data"] = [self._view(d) for d in page["data"]]
            return page

    def _set(self, deployment_id: str, **changes: Any) -> dict[str, Any]:
        with self.backend.lock:
            d = self._deployment(deployment_id)
            if d["archived_at"] and "archived_at" not in changes:
                raise Conflict(f"deployment {deployment_id!r} is archived; it can no longer be paused or "
                                     "unpaused. Create a new deployment.")
            if d["archived_at"] and "archived_at" in changes:
                return self._view(d)  # archiving twice changes nothing
            if any(d.get(k) != v for k, v in changes.items()):
                d.update(changes)
                d["updated_at"] = rfc3339(now())
            return self._view(d)

    def pause(self, deployment_id: str) -> dict[str, Any]:
        return self._set(deployment_id, status="paused", paused_reason={"type": "manual"})

    def unpause(self, deployment_id: str) -> dict[str, Any]:
        return self._set(deployment_id, status="active", paused_reason=None)

    def archive(self, deployment_id: str) -> dict[str, Any]:
        # Archived deployments report status active with archived_at set (BetaManagedAgentsDeploymentStatus).
        # The time is read under the lock, so no run that starts before it can carry a later created_at.
        with self.backend.lock:
            return self._set(deployment_id, archived_at=rfc3339(now()), status="active", paused_reason=None)

    # ---------------------------------------------------------------- runs
    def run(self, deployment_id: str, trigger: dict[str, Any] | None = None) -> dict[str, Any]:
        """Fire the deployment now: a session from its configuration, its initial events sent (the work starts)."""
        with self.backend.lock:
            d = self._deployment(deployment_id)
            if d["archived_at"]:
                raise Conflict(f"deployment {deployment_id!r} is archived and cannot run. Create a new "
                                     "deployment (archived ones keep their run history: "
                                     "client.beta.deployment_runs.list(deployment_id=...)).")
            body: dict[str, Any] = {"agent": dict(d["agent"]), "environment_id": d["environment_id"],
                                    "resources": copy.deepcopy(d["resources"]), "metadata": dict(d["metadata"]),
                                    "vault_ids": list(d["vault_ids"])}
            if d["budget"] is not None:
                body["budget"] = copy.deepcopy(d["budget"])
            run: dict[str, Any] = {"id": new_id("drun"), "type": "deployment_run", "deployment_id": d["id"],
                                   "agent": dict(d["agent"]), "created_at": None, "session_id": None, "error": None,
                                   "trigger_context": trigger or {"type": "manual"}}
            try:
                session = self.backend.sessions.create(body, deployment_id=d["id"])
            except StubError as e:
                code = e.details.get("error_code") or ""
                kind = _RUN_ERRORS.get(code) or ("agent_archived_error" if "archived" in e.message and "agent" in
                                                 e.message.split(":", 1)[0] else "session_creation_rejected_error")
                if e.status == 404 and "file" in e.message.split(" ", 1)[0]:
                    kind = "file_not_found_error"
                run["error"] = {"type": kind, "message": e.message}
            else:
                run["session_id"] = session["id"]
                try:
                    self.backend.sessions.send_events(session["id"], copy.deepcopy(d["initial_events"]))
                except StubError as e:  # e.g. the offline stub has no recording that fits this work
                    self.backend.sessions.delete(session["id"])
                    run["session_id"] = None
                    run["error"] = {"type": "session_creation_rejected_error", "message": e.message}
            run["created_at"] = rfc3339(now())
            if run["trigger_context"]["type"] == "schedule":
                d["_last_run_at"] = run["created_at"]
            out = self._run_view(run)
            self.runs[run["id"]] = run
            return out

    @staticmethod
    def _run_view(run: dict[str, Any]) -> dict[str, Any]:
        beta, _ = sdk_types()
        return validate_response(beta.BetaManagedAgentsDeploymentRun, copy.deepcopy(run))

    def get_run(self, run_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._run_view(get_or_404(self.runs, "deployment run", run_id, "Runs are listed with "
                                             "client.beta.deployment_runs.list(deployment_id=...); deployments.run(...) "
                                             "returns a new one."))

    def list_runs(self, *, deployment_id: str | None, has_error: bool | None, trigger_type: str | None,
                  created_at: TimeRange, limit: int, page: Cursor | None) -> dict[str, Any]:
        """Newest first. An unknown ``deployment_id`` lists nothing (200), as the SDK documents."""
        dep, err, trigger = deployment_id, has_error, trigger_type
        with self.backend.lock:
            items = [r for r in self.runs.values()
                     if (not dep or r["deployment_id"] == dep)
                     and (err is None or (r["error"] is not None) == err)
                     and (not trigger or r["trigger_context"]["type"] == trigger)
                     and created_at.contains(parse_time(r["created_at"], "created_at"))]
            page = paginate(items, lambda r: (r["created_at"], r["id"]), limit=limit, page=page, descending=True)
            page["data"] = [self._run_view(r) for r in page["data"]]
            return page
