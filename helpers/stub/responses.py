"""The HTTP layer of the stub (moto's ``responses.py``): turn a parsed request into a call on the backend.

Each handler takes ``(backend, request)`` and returns ``(status, body)``; body is a dict (sent as JSON) or
``(bytes, content_type)``. The SSE stream is served by ``server.py`` itself (it owns the socket).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Dict, List, Optional, Tuple

from .exceptions import InvalidRequest
from .models import Backend, parse_int


@dataclass
class Request:
    method: str
    path: str
    params: Dict[str, str]
    query: Dict[str, List[str]]
    headers: Dict[str, str]  # lower-cased names
    body: bytes = b""
    _json: Any = field(default=None, repr=False)

    def json(self) -> Any:
        if self._json is None:
            if not self.body.strip():
                raise InvalidRequest(f"{self.method} {self.path} needs a JSON body, but the request had none.")
            try:
                self._json = json.loads(self.body)
            except (ValueError, UnicodeDecodeError) as e:
                raise InvalidRequest(f"The request body is not valid JSON ({e}). Send a JSON object.") from None
            if not isinstance(self._json, dict):
                raise InvalidRequest("The request body must be a JSON object.")
        return self._json

    def q(self, name: str) -> Optional[str]:
        v = self.query.get(name)
        return v[-1] if v else None


Result = Tuple[int, Any]


# ------------------------------------------------------------------------------------------------ agents
def create_agent(b: Backend, r: Request) -> Result:
    return 200, b.create_agent(r.json())


def list_agents(b: Backend, r: Request) -> Result:
    return 200, b.list_agents(r.query)


def get_agent(b: Backend, r: Request) -> Result:
    return 200, b.get_agent(r.params["agent_id"], parse_int(r.q("version"), "version", None, 1, None))


def update_agent(b: Backend, r: Request) -> Result:
    return 200, b.update_agent(r.params["agent_id"], r.json())


def archive_agent(b: Backend, r: Request) -> Result:
    return 200, b.archive_agent(r.params["agent_id"])


def list_agent_versions(b: Backend, r: Request) -> Result:
    return 200, b.list_agent_versions(r.params["agent_id"], r.query)


# ------------------------------------------------------------------------------------------------ environments
def create_environment(b: Backend, r: Request) -> Result:
    return 200, b.create_environment(r.json())


def list_environments(b: Backend, r: Request) -> Result:
    return 200, b.list_environments(r.query)


def get_environment(b: Backend, r: Request) -> Result:
    return 200, b.get_environment(r.params["environment_id"])


def update_environment(b: Backend, r: Request) -> Result:
    return 200, b.update_environment(r.params["environment_id"], r.json())


def archive_environment(b: Backend, r: Request) -> Result:
    return 200, b.archive_environment(r.params["environment_id"])


def delete_environment(b: Backend, r: Request) -> Result:
    return 200, b.delete_environment(r.params["environment_id"])


# ------------------------------------------------------------------------------------------------ sessions
def create_session(b: Backend, r: Request) -> Result:
    return 200, b.create_session(r.json())


def list_sessions(b: Backend, r: Request) -> Result:
    return 200, b.list_sessions(r.query)


def get_session(b: Backend, r: Request) -> Result:
    return 200, b.get_session(r.params["session_id"])


def update_session(b: Backend, r: Request) -> Result:
    return 200, b.update_session(r.params["session_id"], r.json())


def archive_session(b: Backend, r: Request) -> Result:
    return 200, b.archive_session(r.params["session_id"])


def delete_session(b: Backend, r: Request) -> Result:
    return 200, b.delete_session(r.params["session_id"])


def send_events(b: Backend, r: Request) -> Result:
    return 200, b.send_events(r.params["session_id"], r.json())


def list_events(b: Backend, r: Request) -> Result:
    return 200, b.list_events(r.params["session_id"], r.query)


def list_resources(b: Backend, r: Request) -> Result:
    return 200, b.list_resources(r.params["session_id"], r.query)


def add_resource(b: Backend, r: Request) -> Result:
    return 200, b.add_resource(r.params["session_id"], r.json())


def get_resource(b: Backend, r: Request) -> Result:
    return 200, b.get_resource(r.params["session_id"], r.params["resource_id"])


def delete_resource(b: Backend, r: Request) -> Result:
    return 200, b.delete_resource(r.params["session_id"], r.params["resource_id"])


def update_resource(b: Backend, r: Request) -> Result:
    return 200, b.update_resource(r.params["session_id"], r.params["resource_id"], r.json())


# ------------------------------------------------------------------------------------------------ threads
def list_threads(b: Backend, r: Request) -> Result:
    return 200, b.list_threads(r.params["session_id"], r.query)


def thread_not_found(b: Backend, r: Request) -> Result:
    raise b.thread_not_found(r.params["session_id"], r.params["thread_id"])


# ------------------------------------------------------------------------------------------------ deployments
def create_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.create(r.json())


def list_deployments(b: Backend, r: Request) -> Result:
    return 200, b.deployments.list(r.query)


def get_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.get(r.params["deployment_id"])


def update_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.update(r.params["deployment_id"], r.json())


def archive_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.archive(r.params["deployment_id"])


def pause_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.pause(r.params["deployment_id"])


def unpause_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.unpause(r.params["deployment_id"])


def run_deployment(b: Backend, r: Request) -> Result:
    return 200, b.deployments.run(r.params["deployment_id"])


def list_deployment_runs(b: Backend, r: Request) -> Result:
    return 200, b.deployments.list_runs(r.query)


def get_deployment_run(b: Backend, r: Request) -> Result:
    return 200, b.deployments.get_run(r.params["deployment_run_id"])


# ------------------------------------------------------------------------------------------------ files
def _multipart(r: Request) -> Dict[str, Tuple[Optional[str], bytes, str]]:
    """Split a multipart/form-data body into ``{name: (filename, bytes, content type)}`` (fast on 10+ MB logs)."""
    ctype = r.headers.get("content-type", "")
    if not ctype.startswith("multipart/form-data") or "boundary=" not in ctype:
        raise InvalidRequest("POST /v1/files takes multipart/form-data with a 'file' part. Use "
                             "client.beta.files.upload(file=open(path, 'rb')) or file=(name, bytes, mime_type).")
    boundary = ctype.split("boundary=", 1)[1].split(";", 1)[0].strip().strip('"').encode()
    parts: Dict[str, Tuple[Optional[str], bytes, str]] = {}
    for chunk in r.body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        head, sep, content = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        msg = BytesParser(policy=HTTP).parsebytes(head.lstrip(b"\r\n") + b"\r\n\r\n")
        name = msg.get_param("name", header="content-disposition")
        if name:
            parts[str(name)] = (msg.get_filename(), content,
                                msg.get_content_type() if msg.get("content-type") else "application/octet-stream")
    return parts


def upload_file(b: Backend, r: Request) -> Result:
    parts = _multipart(r)
    if "file" not in parts:
        raise InvalidRequest(f"file: is required but missing (parts sent: {sorted(parts)}). Pass file=open(path, 'rb').")
    filename, content, mime = parts["file"]
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if mime in ("application/octet-stream", "") and name:
        import mimetypes

        mime = mimetypes.guess_type(name)[0] or ("text/plain" if name.endswith((".log", ".txt", ".md")) else mime)
    return 200, b.upload_file(name or "unnamed", content, mime)


def list_files(b: Backend, r: Request) -> Result:
    return 200, b.list_files(r.query)


def get_file(b: Backend, r: Request) -> Result:
    return 200, b.get_file(r.params["file_id"])


def delete_file(b: Backend, r: Request) -> Result:
    return 200, b.delete_file(r.params["file_id"])


def download_file(b: Backend, r: Request) -> Result:
    meta, content = b.file_content(r.params["file_id"])
    return 200, (content, meta["mime_type"])
