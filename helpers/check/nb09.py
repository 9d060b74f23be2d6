"""The checks of notebook 09, *A team of investigators*: the lead (9.1), the stopped thread (9.2), the vault's credential
(9.3), the reviewed status update (9.4). Its own helpers are prefixed ``_nb09_``."""
from __future__ import annotations

from typing import Any

from ..events import attr, event_text
from ..i18n import _
from .runs import _TODO_OF_CHECK, _callable, need
from .verdicts import CheckFailed, _a, fail, ok

__all__ = ["lead", "team_stopped", "vault_credential", "status_update"]

#: The exercise each check judges: what a NameError in its cell points back to (``runs._TODO_OF_CHECK``).
_TODO_OF_CHECK.update({"lead": "9.1", "team_stopped": "9.2", "vault_credential": "9.3", "status_update": "9.4"})


#: Fields of a credential's auth that are write-only (the vaults docs; the SDK's secret_value).
_NB09_SECRET_FIELDS = ("token", "access_token", "refresh_token", "client_secret", "secret_value")


def _nb09_mcp_use(tool: str, tool_input: dict) -> Any:
    """A real SDK agent.mcp_tool_use event (what the stream yields) that waits for a confirmation."""
    from anthropic.types.beta.sessions.beta_managed_agents_agent_mcp_tool_use_event import (
        BetaManagedAgentsAgentMCPToolUseEvent,
    )

    return BetaManagedAgentsAgentMCPToolUseEvent.model_validate({
        "type": "agent.mcp_tool_use", "id": "sevt_check", "processed_at": "2026-11-18T14:30:00Z",
        "mcp_server_name": "statuspage", "name": tool, "input": tool_input, "evaluated_permission": "ask",
        "evaluation": {"type": "always_ask"}})


def _nb09_called_twice(fn: Any, client: Any, name: str, todo: str) -> tuple[Any, Any]:
    """``fn(client)`` twice (the second must reuse what the first made); the API's own error says what was wrong."""
    __tracebackhide__ = True
    try:
        return fn(client), fn(client)
    except CheckFailed:
        raise
    except Exception as exc:
        if type(exc).__name__ == "ConflictError":
            fail(_("{name}(client) made something a second time, and the API refused it (409): {detail}").format(
                     name=name, detail=str(exc)[:240]),
                 _("look for what an earlier call made (and reuse it) before you create anything."))
        fail(_("{name}(client) raised {error}: {detail}").format(name=name, error=_a(type(exc).__name__),
                                                                 detail=str(exc)[:300]),
             _("read the message: it names the field that is wrong. TODO {todo}'s goal lists each piece.").format(
                 todo=todo))


def _nb09_is_workshops(obj: Any) -> bool:
    """Does ``obj``'s metadata name this workshop and this learner (``resources.is_mine``)?"""
    from ..resources import is_mine

    return is_mine(obj)


def lead(ensure_lead: Any, client: Any, investigator: Any) -> None:
    """09 (exercise 9.1): the lead agent, a multiagent_20261001 configuration whose only subagent is the investigator
    (pinned to its version), no inline agents, no workflows; calling ``ensure_lead`` again reuses it."""
    __tracebackhide__ = True
    fn = _callable(ensure_lead, "ensure_lead", "9.1", _("a function ensure_lead(client)"))
    first, again = _nb09_called_twice(fn, client, "ensure_lead", "9.1")
    if attr(first, "type") != "agent":
        fail(_("ensure_lead(client) returned {kind}, not an agent.").format(kind=type(first).__name__),
             _("return what client.beta.agents.create(...) returns (or the agent you found)."))
    if attr(again, "id") != attr(first, "id"):
        fail(_("calling ensure_lead(client) twice made two agents."),
             _("look for it first: resources.find_agent(client, LEAD_NAME); create it only when that returns None."))
    if not _nb09_is_workshops(first):
        fail(_("the lead's metadata is {metadata}, not the workshop's with your learner id: a later run could not find "
               "it.").format(metadata=dict(attr(first, "metadata") or {})),
             _("pass metadata=resources.WORKSHOP_METADATA."))
    team = attr(first, "multiagent")
    if attr(team, "type") != "multiagent_20261001":
        fail(_("its multiagent is {type}, not a multiagent_20261001 configuration.").format(
                 type=attr(team, "type") or _("not set")),
             _("multiagent={\"type\": \"multiagent_20261001\", \"subagents\": {...}, \"workflows\": {...}}."))
    sub = attr(team, "subagents")
    if attr(sub, "type") != "enabled":
        fail(_("its subagents are disabled: it could not spawn a single thread."),
             _("\"subagents\": {\"type\": \"enabled\", ...}."))
    members = [(attr(r, "id"), attr(r, "version")) for r in attr(sub, "predefined_agents") or []]
    if members != [(attr(investigator, "id"), attr(investigator, "version"))]:
        fail(_("its predefined agents are {members}, not just the investigator {id!r} v{version}.").format(
                 members=members, id=attr(investigator, "id"), version=attr(investigator, "version")),
             _("\"predefined_agents\": [{\"type\": \"agent\", \"id\": agent.id, \"version\": agent.version}]."))
    if attr(sub, "inline_agents.type") != "disabled" or attr(team, "workflows.type") != "disabled":
        fail(_("it may still define agents of its own (inline agents) or start workflows: both default to enabled."),
             _("\"inline_agents\": {\"type\": \"disabled\"} inside subagents, and \"workflows\": {\"type\": "
               "\"disabled\"}."))
    ok(_("The lead {name!r}: subagents on, the investigator v{version} its only predefined agent, no inline agents, no "
         "workflows; running the cell again reuses it.").format(name=attr(first, "name"),
                                                               version=attr(investigator, "version")))


def _nb09_team_threads(services: Any) -> dict:
    __tracebackhide__ = True
    need(services, "services", "9.2", _("a dict {{{thread}: {service}}}").format(thread=_("thread id"),
                                                                               service=_("suspect service")))
    if not isinstance(services, dict) or sorted(map(str, services.values())) != ["cart", "checkout", "payments"]:
        fail(_("`services` is {services!r}: it should map each of the three threads to its suspect.").format(
                 services=services),
             _("in watch, for each agent.thread_message_sent: services[event.to_session_thread_id] = the service whose "
               "deploy id (SUSPECTS) the task's text names."))
    return {service: thread for thread, service in services.items()}


def team_stopped(services: Any, result: Any, client: Any, session_id: str) -> None:
    """09 (exercise 9.2): the watcher learned which thread investigates which suspect, and stopped the cart thread
    (one ``user.interrupt`` with its ``session_thread_id``) before it reported; the team ended with a report."""
    __tracebackhide__ = True
    need(result, "team", "9.2", _("what loop.run returned for the team's session"))
    threads = _nb09_team_threads(services)
    history = list(client.beta.sessions.events.list(session_id, limit=1000))
    interrupts = [e for e in history if attr(e, "type") == "user.interrupt"]
    if not interrupts:
        fail(_("no user.interrupt was sent: the cart thread ran on."),
             _("when the task names dep_4822, send {\"type\": \"user.interrupt\", \"session_thread_id\": "
               "event.to_session_thread_id} with client.beta.sessions.events.send(session_id, events=[...])."))
    stopped = [attr(e, "session_thread_id") for e in interrupts]
    if None in stopped:
        fail(_("an interrupt without a session_thread_id stops every thread of the session, the lead's too."),
             _("name the one thread: \"session_thread_id\": event.to_session_thread_id."))
    if set(stopped) != {threads["cart"]}:
        fail(_("you stopped the {services} thread, not the cart one.").format(
                 services=", ".join(str(services.get(t)) for t in stopped)),
             _("interrupt the thread whose task names dep_4822 (SUSPECTS['cart'])."))
    if any(attr(e, "type") == "agent.thread_message_received" and attr(e, "from_session_thread_id") == threads["cart"]
           for e in history):
        fail(_("the cart thread finished its work and reported before your interrupt stopped it."),
             _("send the interrupt inside watch, as soon as the lead's task for cart goes out."))
    if attr(result, "stop_reason") != "end_turn" or "dep_4820" not in attr(result, "text", ""):
        fail(_("the lead's turn ended with {stop_reason!r} without its merged report.").format(
                 stop_reason=attr(result, "stop_reason")),
             _("pass handle_tool=incident.handle_tool: the investigators' custom tools still run on your laptop."))
    ok(_("{n} investigator threads; yours stopped the cart one at once (session_thread_id), the others reported, and "
         "the lead's merged report names dep_4820.").format(n=len(services)))


def _nb09_secret_keys(value: Any, path: str = "") -> list[str]:
    """Where a write-only field name appears in what the API returned (as JSON)."""
    if isinstance(value, dict):
        return [f"{path}.{k}".lstrip(".") for k in value if k in _NB09_SECRET_FIELDS] + [
            p for k, v in value.items() for p in _nb09_secret_keys(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nb09_secret_keys(v, f"{path}[{i}]")]
    return []


def vault_credential(ensure_vault: Any, client: Any, url: str) -> None:
    """09 (exercise 9.3): the workshop's vault with one active static_bearer credential for the status page's MCP
    server; what the API returns of it never holds the token; calling ``ensure_vault`` again reuses both."""
    __tracebackhide__ = True
    fn = _callable(ensure_vault, "ensure_vault", "9.3", _("a function ensure_vault(client)"))
    first, again = _nb09_called_twice(fn, client, "ensure_vault", "9.3")
    if not (isinstance(first, tuple) and len(first) == 2):
        fail(_("ensure_vault(client) returned {kind}, not (vault, credential).").format(kind=type(first).__name__),
             _("end with `return vault, credential`."))
    vault, cred = first
    if attr(vault, "type") != "vault" or attr(cred, "type") != "vault_credential":
        fail(_("return the vault and the credential, in that order, as the API returned them."),
             _("vault = client.beta.vaults.create(...); credential = client.beta.vaults.credentials.create(vault.id, "
               "...)."))
    if (attr(again[0], "id"), attr(again[1], "id")) != (attr(vault, "id"), attr(cred, "id")):
        fail(_("calling ensure_vault(client) twice made a second vault or credential."),
             _("look for an active vault of yours with VAULT_NAME (ours), and in it a credential for STATUS_URL, "
               "before you create either (a second credential for the same URL is a 409)."))
    if not _nb09_is_workshops(vault) or attr(vault, "archived_at"):
        fail(_("the vault lacks the workshop's metadata with your learner id (or is archived): a later run could not "
               "find it."), _("metadata=resources.WORKSHOP_METADATA."))
    if attr(cred, "vault_id") != attr(vault, "id") or attr(cred, "auth.type") != "static_bearer" or \
            attr(cred, "auth.mcp_server_url") != url:
        fail(_("the credential is {type!r} for {got!r}, not a static_bearer for {url!r} in this vault.").format(
                 type=attr(cred, "auth.type"), got=attr(cred, "auth.mcp_server_url"), url=url),
             _("auth={\"type\": \"static_bearer\", \"mcp_server_url\": STATUS_URL, \"token\": "
               "statuspage_token()}."))
    shown = [cred, client.beta.vaults.credentials.retrieve(attr(cred, "id"), vault_id=attr(vault, "id")),
             *client.beta.vaults.credentials.list(attr(vault, "id"), limit=100)]
    leaks = [p for c in shown for p in _nb09_secret_keys(c.to_dict())]
    if leaks:  # the API never returns them; a stand-in that did would fail here
        fail(_("a write-only field came back: {fields}.").format(fields=leaks[:3]),
             _("the token is sent once, in credentials.create."))
    ok(_("Vault {name!r}: one static_bearer credential for {url}; the API shows its URL, never its token; running the "
         "cell again reuses both.").format(name=attr(vault, "display_name"), url=url))


def _nb09_review_says(review: Any, tool: str, tool_input: dict) -> str:
    __tracebackhide__ = True
    event = _nb09_mcp_use(tool, tool_input)
    try:
        answer = review(event)
    except CheckFailed:
        raise
    except Exception as exc:
        fail(_("review(event) raised {error}: {detail}").format(error=_a(type(exc).__name__), detail=exc),
             _("read the call from event.name and event.input."))
    verdict = answer if isinstance(answer, str) else attr(answer, "result")
    if verdict not in ("allow", "deny"):
        fail(_("review(event) returned {answer!r}.").format(answer=answer),
             _("return \"allow\", or a user.tool_confirmation dict that denies."))
    if verdict == "deny" and not (isinstance(answer, dict) and answer.get("deny_message")):
        fail(_("a denial without a deny_message: the agent cannot tell what to change."),
             _("{\"type\": \"user.tool_confirmation\", \"tool_use_id\": event.id, \"result\": \"deny\", "
               "\"deny_message\": \"...\"}."))
    return verdict


def status_update(review: Any, result: Any) -> None:
    """09 (exercise 9.4): ``review`` allows a public status update that names nothing internal and denies (with a
    reason) one that does, or any other call; the status page post went out once approved."""
    __tracebackhide__ = True
    fn = _callable(review, "review", "9.4", _("a function review(event) for loop.run's confirm="))
    clean = {"incident_id": "inc_1", "status": "identified", "message": "We found the cause and are fixing it."}
    if _nb09_review_says(fn, "post_incident_update", clean) != "allow":
        fail(_("review() denies a clean, public status update."),
             _("allow post_incident_update when its input names nothing in INTERNAL."))
    leaky = {**clean, "message": "Deploy dep_4820 (commit 9c41e7b) broke checkout; rolling back."}
    if _nb09_review_says(fn, "post_incident_update", leaky) != "deny":
        fail(_("review() allows an update that names a deploy id and a commit hash to go public."),
             _("deny when any word of INTERNAL appears in json.dumps(event.input)."))
    if _nb09_review_says(fn, "delete_incident", {"incident_id": "inc_1"}) != "deny":
        fail(_("review() allows a call that is not a status update (delete_incident)."),
             _("allow only post_incident_update; deny anything else."))
    need(result, "comms_run", "9.4", _("what loop.run returned for the comms session"))
    results = [e for e in attr(result, "events", []) if attr(e, "type") == "agent.mcp_tool_result"]
    if attr(result, "stop_reason") != "end_turn" or not results or '"published": true' not in event_text(results[-1]):
        fail(_("the comms session ended with {stop_reason!r} and no published update.").format(
                 stop_reason=attr(result, "stop_reason")),
             _("pass confirm=review to loop.run, so the post waits for your verdict and goes out when you allow it."))
    ok(_("review() lets a clean update go public and stops one that leaks internals (with a reason); the status page "
         "post went out once you allowed it."))
