"""A seeded fuzz of the stub over raw HTTP: malformed requests on every route (urls.py) and malformed HTTP on raw
sockets. Every answer must be a 4xx (or a 2xx for a request that happened to be valid) with the API's JSON error
shape, never a 5xx, HTML or an internal-error text; and a rejected request must leave every list as it was.

Bounded: FUZZ_PER_ROUTE cases per route (env ``STUB_FUZZ_PER_ROUTE``, default 14, so ~500 requests) plus the raw
cases, on 127.0.0.1, seeded (env ``STUB_FUZZ_SEED``), within ``STUB_FUZZ_SECONDS`` (default 120) of wall clock.
``STUB_FUZZ_PER_ROUTE=100`` gives a few thousand.
"""
from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import time
from typing import Any

import pytest

from helpers import stub
from helpers.incident import CUSTOM_TOOLS
from helpers.stub.urls import _ROUTES
from support.raw_http import AUTH, BETA, Answer, raw, request

SEED = int(os.environ.get("STUB_FUZZ_SEED", "1313"))
PER_ROUTE = int(os.environ.get("STUB_FUZZ_PER_ROUTE", "14"))
BUDGET = float(os.environ.get("STUB_FUZZ_SECONDS", "120"))  # wall-clock bound of the route fuzz
#: Dreams need their own beta header (memory stores take BETA too; files and skills need none).
DREAMS = {"x-api-key": "fuzz", "anthropic-beta": "dreaming-2026-04-21"}
INTERNAL = ("This is a bug", "Traceback", "<html", "<!DOCTYPE", "Error code explanation")



# ----------------------------------------------------------------------------------------------------- plumbing
def assert_api_answer(ans: Answer, what: str) -> None:
    status, headers, body = ans
    assert status < 500, f"{what}: {status} {body[:300]!r}"
    text = body.decode("utf-8", "replace")
    assert not any(bad in text for bad in INTERNAL), f"{what}: internal error text: {text[:300]}"
    if status >= 400 and not (what.startswith("b'HEAD") or ": HEAD /" in what):  # a HEAD answer has no body
        assert headers.get("content-type", "").startswith("application/json"), f"{what}: {headers} {text[:200]}"
        doc = json.loads(body)
        assert doc["type"] == "error" and set(doc["error"]) >= {"type", "message"}, f"{what}: {doc}"
        assert isinstance(doc["error"]["type"], str) and doc["error"]["message"].strip(), f"{what}: {doc}"
        assert len(doc["error"]["message"]) < 4000, f"{what}: a {len(doc['error']['message'])}-character message"


def snapshot(server, ids: dict[str, str]) -> dict[str, Any]:
    """Every list the stub serves for the fuzz's resources, without what time alone changes (stats)."""
    lists = {"agents": "/v1/agents?include_archived=true&limit=100",
             "environments": "/v1/environments?include_archived=true&limit=100",
             "sessions": "/v1/sessions?include_archived=true&limit=100",
             "files": "/v1/files?limit=1000",
             "events": f"/v1/sessions/{ids['session']}/events?limit=1000",
             "resources": f"/v1/sessions/{ids['session']}/resources?limit=100",
             "versions": f"/v1/agents/{ids['agent']}/versions?limit=100",
             "deployments": "/v1/deployments?include_archived=true&limit=100",
             "deployment_runs": "/v1/deployment_runs?limit=1000",
             "skills": "/v1/skills?limit=1000",
             "skill_versions": f"/v1/skills/{ids['skill_id']}/versions?limit=1000",
             "memory_stores": "/v1/memory_stores?include_archived=true&limit=100",
             "memories": f"/v1/memory_stores/{ids['memory_store_id']}/memories?view=full&limit=20",
             "memory_versions": f"/v1/memory_stores/{ids['memory_store_id']}/memory_versions?view=full&limit=20",
             "dreams": "/v1/dreams?include_archived=true&limit=100",
             "vaults": "/v1/vaults?include_archived=true&limit=100",
             "credentials": f"/v1/vaults/{ids['vault']}/credentials?include_archived=true&limit=100",
             "threads": f"/v1/sessions/{ids['team']}/threads?limit=1000",
             "thread_events": f"/v1/sessions/{ids['team']}/threads/{ids['thread']}/events?limit=1000"}
    out = {}
    for name, path in lists.items():
        status, _, body = request(server, "GET", path, headers=DREAMS if name == "dreams" else None)
        assert status == 200, f"listing {name} after the fuzz answered {status}: {body[:300]!r}"
        doc = json.loads(body)
        for item in doc["data"]:
            item.pop("stats", None)
        out[name] = doc["data"]
    return out



# ----------------------------------------------------------------------------------------------------- generators
def deep(n: int) -> Any:
    v: Any = "leaf"
    for _ in range(n):
        v = {"a": v}
    return v


def deep_bytes(n: int) -> bytes:
    return b'{"a":' * n + b'"leaf"' + b"}" * n


def cursors(rng: random.Random) -> list[str]:
    def enc(x: Any) -> str:
        return "page_" + base64.urlsafe_b64encode(json.dumps(x).encode()).decode().rstrip("=")
    return [enc(["after", [{}]]), enc(["after", [1.5]]), enc(["sideways", []]), enc(["after", [True]]),
            enc(["after", ["x", 1]]), enc(["before", [1]]), enc(["after", "x"]), enc([1, 2, 3]), enc({}),
            enc(["after", [None, None]]), "page_!!!", "page_", "x" * rng.randint(1, 5000), "page_%FF",
            enc(["after", ["\ud800", "x"]])]


def wild(rng: random.Random) -> Any:
    return rng.choice([None, True, False, -1, 0, 2 ** 70, 1e308, -1e-308, "", "x" * rng.randint(257, 3000),
                       "x\ud800", "\udfff", "\x00", "a\u0085b", [], {}, [None], {"": ""}, deep(rng.randint(65, 300)),
                       "💥" * 300, {"type": "nope"}, [{"type": "text"}], "sesn_" + "z" * 24])


def mutate(rng: random.Random, doc: Any) -> Any:
    """One random change somewhere in a (copied) JSON document."""
    doc = json.loads(json.dumps(doc))
    holders: list[Any] = []

    def walk(v: Any) -> None:
        if isinstance(v, (dict, list)):
            holders.append(v)
            for x in (v.values() if isinstance(v, dict) else v):
                walk(x)
    walk(doc)
    h = rng.choice(holders)
    if isinstance(h, dict):
        key = rng.choice(list(h) + ["unknown_field", "x\ud800"]) if h else "unknown_field"
        if rng.random() < 0.15 and key in h:
            del h[key]
        else:
            h[key] = wild(rng)
    elif h:
        h[rng.randrange(len(h))] = wild(rng)
    else:
        h.append(wild(rng))
    return doc


def dumps(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=True).encode()  # ensure_ascii: a lone surrogate travels as \\ud800


BAD_BODIES = [b"{", b"[]", b"null", b'"x"', b"1e400", b"\xff\xfe{}", b"{\"a\": NaN}", b"{\"a\":1,\"a\":2}",
              b"[" * 100000, b"{\"a\":" * 3000, b"{\"name\": \"x\\ud800\"}", b"{\"events\": \"x\\udfff\"}",
              deep_bytes(70), deep_bytes(990), b" ", b"\x00" * 10, dumps({"name": "n" * 5_000_000})]


def templates(ids: dict[str, str]) -> dict[str, Any]:
    tool_result = {"type": "user.custom_tool_result", "custom_tool_use_id": "sevt_011CAAAAAAAAAAAAAAAAAAAA",
                   "content": [{"type": "text", "text": "ok"}]}
    return {
        "create_agent": {"name": "fz", "model": "claude-sonnet-4-6", "tools": CUSTOM_TOOLS[:1]},
        "update_agent": {"version": 1, "name": "fz2", "tools": CUSTOM_TOOLS[:1]},
        "create_environment": {"name": "fz", "config": {"type": "cloud"}},
        "update_environment": {"name": "fz2", "config": {"type": "cloud"}},
        "create_session": {"agent": ids["agent"], "environment_id": ids["environment"], "metadata": {"k": "v"}},
        "update_session": {"metadata": {"k": "v"}, "title": "t"},
        # Always a bad event in the batch: a valid answer beside it must not be stored.
        "send_events": {"events": [tool_result, {"type": "user.message", "content": [{"type": "text", "text": 7}]}]},
        "add_resource": {"type": "file", "file_id": ids["file"]},
        "update_resource": {"authorization_token": "tok"},
        "create_deployment": {"name": "fz", "agent": ids["agent"], "environment_id": ids["environment"],
                              "initial_events": [{"type": "user.message", "content": [{"type": "text", "text": "x"}]}],
                              "budget": {"type": "limit", "max_list_cost": {"amount": "500", "currency": "USD"}},
                              "schedule": {"type": "cron", "expression": "0 9 * * 1-5", "timezone": "UTC"}},
        "update_deployment": {"name": "fz2", "metadata": {"k": "v"}},
        "create_memory_store": {"name": "fz", "description": "d", "metadata": {"k": "v"}},
        "update_memory_store": {"name": "fz2", "description": "", "metadata": {"k": None}},
        "create_memory": {"path": "/fz/a.md", "content": "x"},
        "update_memory": {"content": "y", "path": "/fz/b.md",
                          "precondition": {"type": "content_sha256", "content_sha256": "0" * 64}},
        "create_dream": {"inputs": [{"type": "memory_store", "memory_store_id": ids["memory_store_id"]},
                                    {"type": "sessions", "session_ids": [ids["session"]]}],
                         "model": "claude-sonnet-4-6", "instructions": "x"},
        "create_vault": {"display_name": "fz", "metadata": {"k": "v"}},
        "update_vault": {"display_name": "fz2", "metadata": {"k": None}},
        "create_credential": {"display_name": "fz", "auth": {"type": "static_bearer", "token": "fz-token",
                                                             "mcp_server_url": "https://fz.example/mcp"}},
        "update_credential": {"auth": {"type": "static_bearer", "token": "fz-token-2"}, "metadata": {"k": "v"}},
    }


def skill_upload(rng: random.Random) -> tuple[bytes, dict[str, str]]:
    """A malformed skill upload (or version): a part out of place, no SKILL.md, two directories, bad front matter."""
    def part(name: str, filename: str | None, content: bytes) -> bytes:
        fn = f'; filename="{filename}"' if filename is not None else ""
        return f'--fzb\r\nContent-Disposition: form-data; name="{name}"{fn}\r\n\r\n'.encode() + content + b"\r\n"
    ok = b"---\nname: fz\ndescription: d\n---\n"
    variants = [
        part("files[]", "fz/README.md", b"x"),
        part("files[]", "SKILL.md", ok),
        part("files[]", "fz/SKILL.md", ok) + part("files[]", "other/x.md", b"x"),
        part("files[]", "fz/SKILL.md", b"no front matter"),
        part("files[]", "fz/SKILL.md", b"---\nname: Not_A_Name\ndescription: d\n---\n"),
        part("files[]", "fz/SKILL.md", b"---\nname: fz\n---\n"),
        part("files[]", "fz/SKILL.md", b"\xff\xfe"),
        part("files[]", "../fz/SKILL.md", ok),
        part("display_name", None, b"a\nb") + part("files[]", "fz/SKILL.md", ok),
        part("unknown", None, b"x") + part("files[]", "fz/SKILL.md", ok),
        part("files[]", "fz\xed\xa0\x80/SKILL.md", ok),
        b"garbage",
    ]
    body = rng.choice(variants) + b"--fzb--\r\n"
    return body, {"x-api-key": "fuzz", "content-type": "multipart/form-data; boundary=fzb"}


def multipart(rng: random.Random) -> tuple[bytes, dict[str, str]]:
    b = "fzb"
    variants = [
        (b"--fzb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\xed\xa0\x80.log\"\r\n\r\nx\r\n--fzb--\r\n",
         f"multipart/form-data; boundary={b}"),
        (b"--fzb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + b"n" * 5000 + b".log\"\r\n\r\nx\r\n"
         b"--fzb--\r\n", f"multipart/form-data; boundary={b}"),
        (b"--fzb\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--fzb--\r\n",
         f"multipart/form-data; boundary={b}"),
        (b"--fzb\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\xff.log\"\r\nContent-Type: te\xffxt/"
         b"\xed\xa0\x80\r\n\r\nx\r\n--fzb--\r\n", f"multipart/form-data; boundary={b}"),
        (b"garbage", "multipart/form-data"),
        (b"{}", "application/json"),
        (b"--fzb\r\n\r\n\r\n--fzb", f"multipart/form-data; boundary={b}"),
        (bytes(rng.randrange(256) for _ in range(200)), f"multipart/form-data; boundary={b}"),
    ]
    body, ctype = rng.choice(variants)
    return body, {**AUTH, "content-type": ctype}


def cases(rng: random.Random, ids: dict[str, str]) -> list[tuple[str, str, bytes, dict[str, str], str]]:
    """(method, path, body, headers, description) for every route, PER_ROUTE each."""
    tmpl = templates(ids)
    real = {"agent_id": ids["agent"], "environment_id": ids["environment"], "session_id": ids["session"],
            "file_id": ids["file"], "resource_id": ids["resource"], "thread_id": ids["thread"],
            "deployment_id": ids["deployment"], "deployment_run_id": ids["run"], "skill_id": ids["skill_id"],
            "version": ids["version"], "memory_store_id": ids["memory_store_id"], "memory_id": ids["memory_id"],
            "memory_version_id": ids["memory_version_id"], "dream_id": ids["dream_id"], "vault_id": ids["vault"],
            "credential_id": ids["credential"]}
    bad_ids = ["x", "z" * 3000, "%00", "%F0%9F", "..%2F..", "sesn_011CAAAAAAAAAAAAAAAAAAAA", "%ED%A0%80", "id='x'",
               "agent_" + "%E2%80%AE" * 10, "%20"]
    out = []
    for method, template, handler in _ROUTES:
        destructive = method == "DELETE" or template.endswith("/archive")
        for i in range(PER_ROUTE):
            kind = rng.choice(["headers", "id", "query", "body", "body", "method"] if "{" in template else
                              ["headers", "query", "body", "body", "method"])
            path = template.replace("{session_id}/threads", "{team}/threads")  # threads: the team's session
            for name, value in {**real, "team": ids["team"]}.items():
                path = path.replace("{" + name + "}", value)
            headers, body, query = dict(AUTH), b"", ""
            if kind == "headers" or (destructive and kind not in ("id", "method")):
                headers = rng.choice([{"anthropic-beta": BETA}, {"x-api-key": "k"}, {"x-api-key": " "},
                                      {"authorization": "Basic abc", "anthropic-beta": BETA},
                                      {"x-api-key": "k", "anthropic-beta": "some-other-beta"}])
                if path.startswith(("/v1/files", "/v1/skills")) and "x-api-key" in headers:
                    headers.pop("x-api-key")  # files and skills need no beta header: fail on auth instead
            elif kind == "id" and "{" in template:
                path = template.replace("{session_id}/threads", "{team}/threads")
                for name, value in {**real, "team": ids["team"]}.items():
                    path = path.replace("{" + name + "}", rng.choice(bad_ids) if rng.random() < 0.7 else value)
                if path == template.replace("{session_id}/threads", "{team}/threads").format(**real, team=ids["team"]):
                    path = path.rstrip("/") + "/" + rng.choice(bad_ids)  # no route: a 404 still
            elif kind == "method":
                method = rng.choice(["PUT", "PATCH", "TRACE", "PROPFIND", "BREW", "OPTIONS", "CONNECT", "M-SEARCH",
                                     "HEAD"])
            elif kind == "query":
                key = rng.choice(["limit", "page", "order", "include_archived", "created_at[gte]", "types[]",
                                  "statuses[]", "version", "event_deltas[]", "ids[]"])
                value = rng.choice(["-1", "0", "abc", "1" * 40, "", "%FF", "%ED%A0%80", "true", "maybe", "x" * 3000]
                                   + cursors(rng))
                if method != "GET" or handler in ("get_session", "get_file", "download_file", "get_resource",
                                                  "get_environment", "get_vault", "get_credential", "get_thread"):
                    headers = {"x-api-key": "k"}  # the query alone is ignored there: make the request wrong anyway
                query = "?" + key + "=" + value.replace("&", "%26").replace("#", "%23")
                if handler == "list_files" and key == "ids[]":
                    query += "&limit=5"
                if handler in ("stream_events", "stream_thread") and key != "event_deltas[]":
                    query = "?event_deltas[]=agent.tool_use"
            else:  # body
                if handler == "upload_file":
                    body, headers = multipart(rng)
                elif handler in ("create_skill", "create_skill_version"):
                    body, headers = skill_upload(rng)
                elif handler in tmpl and rng.random() < 0.75:
                    body = dumps(mutate(rng, tmpl[handler]))
                    headers = {**AUTH, "content-type": "application/json"}
                else:
                    body = rng.choice(BAD_BODIES)
                    headers = {**AUTH, "content-type": "application/json"}
                if handler not in tmpl and handler not in ("upload_file", "create_skill", "create_skill_version"):
                    headers = rng.choice([{"x-api-key": "k"}, {"anthropic-beta": BETA}])  # bodies ignored there
                if destructive:
                    headers = {"x-api-key": "k"}
            if path.startswith("/v1/dreams") and headers.get("anthropic-beta") == BETA and kind != "headers":
                headers["anthropic-beta"] = DREAMS["anthropic-beta"]  # dreams' own header: fail on something else
            if path.startswith("/v1/skills") and kind in ("query", "body") and "anthropic-beta" not in headers:
                headers = {"anthropic-beta": BETA}  # skills need no beta header: make the request wrong anyway
            out.append((method, path + query, body, headers, f"{handler}/{kind}#{i}"))
    return out


RAW = [
    (b"GARBAGE\r\n\r\n", "GET"), (b"GET\r\n\r\n", "GET"), (b"GET / HTTP/2.0\r\n\r\n", "GET"),
    (b"GET /v1/agents HTTP/2.0\r\nHost: x\r\n\r\n", "GET"), (b"GET /v1/agents HTTP/1.1 extra\r\n\r\n", "GET"),
    (b"GET /v1/agents HTTP/9.9\r\n\r\n", "GET"), (b"GET /v1/agents HTTP/1.x\r\n\r\n", "GET"),
    (b"TRACE /v1/agents HTTP/1.1\r\nHost: x\r\n\r\n", "TRACE"),
    (b"PROPFIND /v1/sessions HTTP/1.1\r\nHost: x\r\n\r\n", "PROPFIND"),
    (b"BREW /coffee HTTP/1.1\r\nHost: x\r\n\r\n", "BREW"),
    (b"get /v1/agents HTTP/1.1\r\nHost: x\r\n\r\n", "GET"),
    (b"GET /v1/agents\r\n\r\n", "GET"),
    (b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", "GET"),
    (b"GET http://x/v1/agents HTTP/1.1\r\nHost: x\r\n\r\n", "GET"),
    (b"GET /v1/agents/\x00\xff HTTP/1.1\r\nHost: x\r\n\r\n", "GET"),
    (b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", "GET"),
    (b"GET /v1/agents HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", "GET"),
    (b"GET /v1/agents HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(120)) + b"\r\n", "GET"),
    (b"GET /v1/agents HTTP/1.1\r\nbad header line\r\n\r\n", "GET"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nanthropic-beta: " + BETA.encode() +
     b"\r\nContent-Length: abc\r\n\r\n{}", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nContent-Length: -5\r\n\r\n", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nContent-Length: 1, 2\r\n\r\n{}", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nContent-Length: 99999999999999999999999\r\n\r\n", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nContent-Length: 999999999999\r\n\r\n{}", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 2000 + b"\r\n",
     "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n\r\n", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\nab", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: gzip\r\n\r\n{}", "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
     "POST"),
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nanthropic-beta: " + BETA.encode() +
     b"\r\nContent-Length: 5\r\n\r\n{}", "POST"),  # cut short: the writer half-closes (shut=True below)
    (b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nanthropic-beta: " + BETA.encode() +
     b"\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{}", "POST"),
    (b"POST /v1/files HTTP/1.1\r\nx-api-key: k\r\nContent-Length: 999999999999\r\n\r\n", "POST"),
    (b"HEAD /v1/agents HTTP/1.1\r\nx-api-key: k\r\nanthropic-beta: " + BETA.encode() + b"\r\n\r\n", "HEAD"),
    (b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", "OPTIONS"),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n", "GET"),  # a TLS hello
]



# ----------------------------------------------------------------------------------------------------- the tests
@pytest.fixture(scope="module")
def fuzz_server():
    with stub.start(read_timeout=1.0) as s:
        yield s


@pytest.fixture(scope="module")
def ids(fuzz_server) -> dict[str, str]:
    import anthropic

    c = anthropic.Anthropic(api_key="k", base_url=fuzz_server.url, max_retries=0)
    agent = c.beta.agents.create(name="fuzz", model="claude-sonnet-4-6", tools=CUSTOM_TOOLS)
    env = c.beta.environments.create(name="fuzz", config={"type": "cloud"})
    f = c.beta.files.upload(file=("deploys.json", b"[]", "application/json"))
    s = c.beta.sessions.create(agent=agent.id, environment_id=env.id, resources=[{"type": "file", "file_id": f.id}])
    d = c.beta.deployments.create(name="fuzz", agent=agent.id, environment_id=env.id, initial_events=[
        {"type": "user.message", "content": [{"type": "text", "text": "fault-terminated"}]}])
    run = c.beta.deployments.run(d.id)
    skill = c.beta.skills.create(files=[("fz/SKILL.md", b"---\nname: fz\ndescription: d\n---\n", "text/markdown")])
    version = c.beta.skills.versions.create(skill.id, files=[("fz/SKILL.md", b"---\nname: fz\ndescription: e\n---\n",
                                                                  "text/markdown")])
    store, dream = _dream_store(c, s.id)
    memory = c.beta.memory_stores.memories.create(store.id, path="/fuzz.md", content="fuzz")
    vault = c.beta.vaults.create(display_name="fuzz")
    cred = c.beta.vaults.credentials.create(vault.id, auth={"type": "static_bearer", "token": "fuzz-token",
                                                            "mcp_server_url": "https://fuzz.example/mcp"})
    team, thread = _team(c)
    return {"agent": agent.id, "environment": env.id, "session": s.id, "file": f.id, "resource": s.resources[0].id,
            "deployment": d.id, "run": run.id, "skill_id": skill.id, "version": version.id,
            "memory_store_id": store.id, "memory_id": memory.id, "memory_version_id": memory.memory_version_id,
            "dream_id": dream.id, "vault": vault.id, "credential": cred.id, "team": team, "thread": thread}


def _dream_store(c, session_id: str):
    """A memory store holding what the recorded dream needs, and a dream over it, already completed (at instant speed
    each look moves a dream on; a settled dream keeps the fuzz's snapshots still)."""
    from helpers.stub.dreams import load_results
    from helpers.stub.recordings import default_dir

    store = c.beta.memory_stores.create(name="fuzz")
    result = load_results(default_dir())[0]
    for path in result.input_paths:
        c.beta.memory_stores.memories.create(store.id, path=path, content="x")
    dream = c.beta.dreams.create(inputs=[{"type": "memory_store", "memory_store_id": store.id},
                                         {"type": "sessions", "session_ids": [session_id]}], model="claude-sonnet-4-6")
    while c.beta.dreams.retrieve(dream.id).status != "completed":
        pass
    return store, dream


def _team(c) -> tuple[str, str]:
    """A lead's session, played to its end: its threads are there to fuzz (the first investigator's, by id)."""
    from helpers import incident, loop, resources

    investigator = resources.ensure_agent(c)
    lead = c.beta.agents.create(name="fuzz-lead", model="claude-sonnet-4-6", multiagent={
        "type": "multiagent_20261001", "subagents": {"type": "enabled", "predefined_agents": [investigator.id]}})
    s = resources.new_session(c, lead, metadata={"recording": "incident-team"})

    def stop_cart(ev):
        if ev.type == "agent.thread_message_sent" and "dep_4822" in ev.content[0].text:
            c.beta.sessions.events.send(s.id, events=[{"type": "user.interrupt",
                                                       "session_thread_id": ev.to_session_thread_id}])

    loop.run(c, s.id, "Team.", handle_tool=incident.handle_tool, on_event=stop_cart, render=False, timeout=60)
    child = next(t for t in c.beta.sessions.threads.list(s.id) if t.parent_thread_id)
    return s.id, child.id


def _settled(server, ids: dict[str, str]) -> dict[str, Any]:
    """The snapshot once nothing moves (a valid request may have started a replay)."""
    before = snapshot(server, ids)
    for _ in range(50):
        time.sleep(0.05)
        after = snapshot(server, ids)
        if after == before:
            return after
        before = after
    return before


class TestFuzz:
    """The seeded fuzz: malformed requests on every route, and malformed HTTP on raw sockets; a 4xx in the API's JSON
    shape, and nothing changed."""

    def test_fuzz_every_route_answers_json_4xx_and_a_rejection_changes_nothing(self, fuzz_server, ids):
        rng = random.Random(SEED)
        todo = cases(rng, ids)
        assert len({c[4].split("/")[0] for c in todo}) == len({h for _, _, h in _ROUTES})  # every route
        base = _settled(fuzz_server, ids)
        rejected = done = 0
        deadline = time.monotonic() + BUDGET
        for method, path, body, headers, what in todo:
            if time.monotonic() > deadline and done >= min(len(todo), 300):
                break  # bounded in time as well as in count (a slow machine runs fewer cases, never fewer than 300)
            done += 1
            ans = request(fuzz_server, method, path, body, headers)
            assert_api_answer(ans, f"{what}: {method} {path[:120]}")
            if ans[0] >= 400:
                rejected += 1
                now = snapshot(fuzz_server, ids)
                assert now == base, f"{what}: the rejected {method} {path[:120]} ({ans[0]}) changed the stub's state"
            else:
                base = _settled(fuzz_server, ids)
        assert rejected >= 0.9 * done, f"only {rejected} of {done} fuzz cases were rejected: a weak fuzz"

    @pytest.mark.parametrize("data,method", RAW, ids=[f"raw{i}" for i in range(len(RAW))])
    def test_fuzz_raw_http_framing(self, fuzz_server, ids, data, method):
        base = snapshot(fuzz_server, ids)
        shut = b"Content-Length: 5\r\n\r\n{}" in data or data.endswith(b"5\r\n{}")
        ans = raw(fuzz_server, data, method=method, shut=shut)
        assert_api_answer(ans, repr(data[:80]))
        assert ans[0] >= 400 or method == "OPTIONS" and ans[0] < 300, ans
        assert snapshot(fuzz_server, ids) == base


class TestHttpFraming:
    """HTTP itself: unknown methods, HTTP/2, HEAD, a body that never comes, the limits on size."""

    def test_unknown_methods_are_405_json(self, fuzz_server):
        for m in ("TRACE", "PROPFIND", "BREW"):
            status, headers, body = raw(fuzz_server, f"{m} /v1/agents HTTP/1.1\r\nHost: x\r\n\r\n".encode(), method=m)
            assert status == 405 and json.loads(body)["error"]["type"] == "invalid_request_error", (m, status, body)

    def test_http2_request_line_is_400_json(self, fuzz_server):
        status, _, body = raw(fuzz_server, b"GET /v1/agents HTTP/2.0\r\n\r\n")
        assert status == 400 and "HTTP/1.1" in json.loads(body)["error"]["message"]

    def test_head_has_no_body_and_keeps_the_connection(self, fuzz_server):
        conn = http.client.HTTPConnection(fuzz_server.host, fuzz_server.port, timeout=5)
        try:
            conn.request("HEAD", "/v1/agents", headers=AUTH)
            r = conn.getresponse()
            assert r.status == 405 and r.read() == b"" and not r.will_close
            sock = conn.sock
            conn.request("GET", "/v1/agents", headers=AUTH)  # the same connection still works
            r = conn.getresponse()
            assert r.status == 200 and json.loads(r.read())["data"] is not None and conn.sock is sock
        finally:
            conn.close()

    def test_a_promised_body_that_never_comes_is_a_408_not_a_held_thread(self, fuzz_server):
        t0 = time.monotonic()
        with socket.create_connection((fuzz_server.host, fuzz_server.port), timeout=10) as s:
            s.sendall(b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nanthropic-beta: " + BETA.encode() +
                      b"\r\nContent-Length: 100\r\n\r\n{")
            r = http.client.HTTPResponse(s, method="POST")
            r.begin()
            assert r.status == 408 and json.loads(r.read())["error"]["type"] == "timeout_error"
        assert time.monotonic() - t0 < 8  # read_timeout=1 s on this server, not forever

    def test_limits_are_json_413_414_431(self, fuzz_server):
        status, _, body = raw(fuzz_server, b"POST /v1/agents HTTP/1.1\r\nx-api-key: k\r\nContent-Length: 999999999999"
                              b"\r\n\r\n", method="POST")
        assert status == 413 and "at most" in json.loads(body)["error"]["message"]
        assert raw(fuzz_server, b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n")[0] == 414
        assert raw(fuzz_server, b"GET / HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n")[0] == 431
        status, _, body = request(fuzz_server, "POST", "/v1/agents", dumps({"name": "n" * 300, "model": "claude-sonnet-4-6"}))
        assert status == 400 and "at most 256 characters" in json.loads(body)["error"]["message"]


class TestMalformedInput:
    """What a request carries: deep JSON, lone surrogates, a hand-made cursor, a session object where its id belongs."""

    def test_deep_json_and_lone_surrogates_are_400_naming_the_problem(self, fuzz_server, ids):
        before = snapshot(fuzz_server, ids)
        status, _, body = request(fuzz_server, "POST", "/v1/agents", b"[" * 100000)
        assert status == 400 and "JSON" in json.loads(body)["error"]["message"]
        head = dumps({"name": "d", "model": "claude-sonnet-4-6", "tools": [{"type": "custom", "name": "t",
                                                                            "description": "t", "input_schema": "S"}]})
        body = head.replace(b'"S"', b'{"type": "object", "properties": {"x": ' + deep_bytes(600) + b"}}")
        status, _, body = request(fuzz_server, "POST", "/v1/agents", body)
        assert status == 400 and "nests deeper than" in json.loads(body)["error"]["message"]
        status, _, body = request(fuzz_server, "POST", "/v1/agents", dumps({"name": "x\ud800", "model": "claude-sonnet-4-6"}))
        msg = json.loads(body)["error"]["message"]
        assert status == 400 and "surrogate" in msg and msg.startswith("name:"), msg
        assert snapshot(fuzz_server, ids) == before  # and every list still answers 200

    def test_a_hand_made_cursor_is_a_400(self, fuzz_server, ids):
        pages = cursors(random.Random(SEED))
        for i, page in enumerate(pages):
            for path in ("/v1/agents", f"/v1/agents/{ids['agent']}/versions", "/v1/files", "/v1/sessions",
                         f"/v1/sessions/{ids['session']}/events", "/v1/vaults", f"/v1/vaults/{ids['vault']}/credentials",
                         f"/v1/sessions/{ids['team']}/threads/{ids['thread']}/events"):
                status, _, body = request(fuzz_server, "GET", f"{path}?page={page}")
                # A cursor of the right shape for this list is merely a position (200); any other is a 400.
                assert status in (200, 400), (path, page, body[:200])
                if status == 400 or i in (0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13):  # never a valid shape
                    assert status == 400 and "cursor" in json.loads(body)["error"]["message"], (path, page, body[:200])

    def test_a_session_object_where_its_id_belongs_is_a_one_line_404(self, fuzz_server, ids):
        import anthropic

        c = anthropic.Anthropic(api_key="k", base_url=fuzz_server.url, max_retries=0, _strict_response_validation=True)
        session = c.beta.sessions.retrieve(ids["session"])
        for call in (lambda: c.beta.sessions.retrieve(session), lambda: c.beta.sessions.events.list(session),
                     lambda: c.beta.sessions.events.send(session, events=[{"type": "user.interrupt"}])):
            with pytest.raises(anthropic.NotFoundError) as e:
                call()
            msg = e.value.body["error"]["message"]
            assert "pass session.id" in msg and "not the session" in msg and "\n" not in msg and len(msg) < 200, msg


class TestLogging:
    """The stub's log of normal requests."""

    def test_verbose_logs_normal_requests(self, fuzz_server, caplog):
        import logging

        with caplog.at_level(logging.DEBUG, logger="helpers.stub"):
            request(fuzz_server, "GET", "/v1/agents")
        assert any('"GET /v1/agents HTTP/1.1" 200' in r.getMessage() for r in caplog.records), caplog.text
