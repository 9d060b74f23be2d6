"""Custom skills and their versions (state and rules, moto's ``models`` for ``/v1/skills``), beside
:class:`helpers.stub.models.Backend`, which owns one :class:`SkillsBackend`.

Behaviour follows the SDK's docstrings (``resources/beta/skills/``, ``BetaSkill``, ``BetaSkillVersion``), the
Agent Skills specification (https://agentskills.io/specification, which Anthropic's skills follow) and
https://platform.claude.com/docs/en/managed-agents/skills; docs/design.md ("Skills, memory stores and dreams") cites
each rule:

* An upload is ``files[]``: every file in one top-level directory, a ``SKILL.md`` at its root. ``SKILL.md`` opens
  with YAML front matter: ``name`` (1-64 characters: lowercase letters, digits and single hyphens, not at either
  end; the directory's name when omitted) and ``description`` (1-1,024 characters).
* ``skills.create`` makes the skill and its first version; ``display_name`` (at most 255 characters, one line)
  defaults to the front matter's ``name``. ``skills.versions.create`` adds a version, whose ``name`` must be the
  skill's. ``latest_version_id`` is the newest version; ``latest`` addresses it in paths.
* A skill holds at least one version: its only version cannot be deleted (delete the skill). Deleting the skill
  deletes its versions (an inference: the SDK states neither).
* Requests need no beta header (the API reference lists ``anthropic-beta`` as optional). With ``skills-2025-10-02``
  the API addresses versions by Unix epoch timestamps instead of ids; the stub speaks only the id form that the
  installed SDK's types describe and refuses that header (offline only: stricter, never looser, than live).

Offline difference: the stub holds no Anthropic pre-built skills (``skills.list(source="anthropic")`` is empty);
agents may still name them (``{"type": "anthropic", "skill_id": "xlsx"}``).
"""
from __future__ import annotations

import builtins
import copy
import io
import re
import zipfile
from typing import Any

from .exceptions import InvalidRequest, NotFound, get_or_404
from .utils import Cursor, new_id, now, paginate, rfc3339
from .validation import sdk_types, validate_response

__all__ = ["SkillsBackend", "SKILLS_ROOT", "MAX_SKILLS_PER_SESSION", "OLD_DIALECT", "front_matter", "check_upload"]

#: Where a session's skills appear in its container: ``/workspace/skills/<name>/SKILL.md``. The SDK's self-hosted
#: worker says so ("downloads each of the session agent's skills into `{workdir}/skills/<name>/`",
#: anthropic/lib/tools/agent_toolset.py, with workdir="/workspace" in lib/environments/_worker.py); that the cloud
#: container uses the same layout is an inference (no public page names it). One constant, so a live recording
#: can correct it.
SKILLS_ROOT = "/workspace/skills"
#: "Each session supports up to 20 skills total" (managed-agents/skills).
MAX_SKILLS_PER_SESSION = 20
#: The beta header of the Skills API's first dialect (versions addressed by epoch timestamps).
OLD_DIALECT = "skills-2025-10-02"
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_UPLOAD_HELP = ("Upload the skill's directory: files=[(\"incident-runbooks/SKILL.md\", text, \"text/markdown\"), "
                "(\"incident-runbooks/runbooks/latency.md\", ...)]: every file in one top-level directory, SKILL.md "
                "at its root.")


def front_matter(text: str) -> dict[str, str]:
    """The ``key: value`` pairs of a SKILL.md's YAML front matter (strings; quotes stripped; an indented line
    continues the value before it). A 400 when there is none."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        raise InvalidRequest("SKILL.md: must start with YAML front matter between '---' lines, e.g. "
                             "'---\\nname: incident-runbooks\\ndescription: ...\\n---'.")
    out: dict[str, str] = {}
    key = None
    for line in lines[1:]:
        if line.strip() == "---":
            return {k: v.strip().strip("\"'") for k, v in out.items()}
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$", line)
        if m:
            key = m.group(1)
            out[key] = "" if m.group(2).strip() in (">", "|", ">-", "|-") else m.group(2)
        elif key and line.startswith((" ", "\t")):
            out[key] = (out[key] + " " + line.strip()).strip()
    raise InvalidRequest("SKILL.md: its front matter has no closing '---' line.")


def check_upload(files: builtins.list[tuple[str, bytes]]) -> tuple[str, str, dict[str, bytes]]:
    """``(name, description, {path inside the skill: bytes})`` of an upload, or a 400 saying what is wrong."""
    if not files:
        raise InvalidRequest(f"files: at least one file is required. {_UPLOAD_HELP}")
    tops, inner = set(), {}
    for filename, content in files:
        parts = (filename or "").replace("\\", "/").split("/")
        if len(parts) < 2 or any(p in ("", ".", "..") for p in parts):
            raise InvalidRequest(f"files: {filename!r} is not a path inside the skill's directory. {_UPLOAD_HELP}")
        tops.add(parts[0])
        inner["/".join(parts[1:])] = content
    if len(tops) > 1:
        raise InvalidRequest(f"files: they are in {len(tops)} top-level directories ({', '.join(sorted(tops))}); all "
                             f"files of a skill must be in one. {_UPLOAD_HELP}")
    directory = tops.pop()
    if "SKILL.md" not in inner:
        raise InvalidRequest(f"files: no {directory}/SKILL.md: a skill needs a SKILL.md at the root of its directory.")
    try:
        meta = front_matter(inner["SKILL.md"].decode("utf-8"))
    except UnicodeDecodeError:
        raise InvalidRequest("SKILL.md: is not UTF-8 text.") from None
    name = meta.get("name") or directory
    if len(name) > 64 or not _NAME.match(name):
        raise InvalidRequest(f"SKILL.md: name {name[:80]!r} is not a skill name: 1-64 characters, lowercase letters, "
                             "digits and single hyphens, not at either end (e.g. incident-runbooks).")
    description = meta.get("description", "")
    if not 1 <= len(description) <= 1024:
        raise InvalidRequest(f"SKILL.md: description is {len(description)} characters; a skill needs one of 1 to "
                             "1,024 characters saying what it does and when to use it (the agent reads it first).")
    return name, description, inner


class SkillsBackend:
    """Custom skills and versions. Uses the owning backend's lock."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.skills: dict[str, dict[str, Any]] = {}  # id -> {"data": BetaSkill dict, "versions": [version record]}

    # ---------------------------------------------------------------- lookups and views
    def _skill(self, skill_id: str) -> dict[str, Any]:
        return get_or_404(self.skills, "skill", skill_id, "Create one with client.beta.skills.create(files=[...]) and "
                                                          "use its .id; list yours with client.beta.skills.list().")

    def _version(self, s: dict[str, Any], version: str) -> dict[str, Any]:
        if version == "latest":
            return s["versions"][-1]
        v = next((v for v in s["versions"] if v["id"] == version), None)
        if v is None:
            known = ", ".join(v["id"] for v in s["versions"])
            raise NotFound(f"skill {s['data']['id']!r} has no version {version!r} (its versions: {known}). Pass a "
                           "version id from client.beta.skills.versions.list(skill_id), or 'latest'.")
        return v

    @staticmethod
    def _skill_view(s: dict[str, Any]) -> dict[str, Any]:
        beta, _ = sdk_types()
        return validate_response(beta.BetaSkill, copy.deepcopy(s["data"]))

    @staticmethod
    def _version_view(v: dict[str, Any]) -> dict[str, Any]:
        from anthropic.types.beta.skills import BetaSkillVersion

        return validate_response(BetaSkillVersion, {k: val for k, val in v.items() if not k.startswith("_")})

    @staticmethod
    def _new_version(skill_id: str, name: str, description: str, files: dict[str, bytes]) -> dict[str, Any]:
        return {"id": new_id("skver"), "type": "skill_version", "skill_id": skill_id, "name": name,
                "description": description, "created_at": rfc3339(now()), "_files": dict(files)}

    # ---------------------------------------------------------------- skills
    def create(self, files: builtins.list[tuple[str, bytes]], display_name: str | None) -> dict[str, Any]:
        name, description, inner = check_upload(files)
        if display_name is not None and (not 1 <= len(display_name) <= 255 or "\n" in display_name):
            raise InvalidRequest("display_name: one line of 1 to 255 characters (or omit it: it defaults to the "
                                 "SKILL.md front matter's name).")
        skill_id = new_id("skill")
        version = self._new_version(skill_id, name, description, inner)
        data = {"id": skill_id, "type": "skill", "display_name": display_name or name,
                "source": {"type": "custom"}, "latest_version_id": version["id"],
                "created_at": version["created_at"], "updated_at": version["created_at"]}
        s = {"data": data, "versions": [version]}
        view = self._skill_view(s)
        with self.backend.lock:
            self.skills[skill_id] = s
        return view

    def get(self, skill_id: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._skill_view(self._skill(skill_id))

    def list(self, *, source: str | None, limit: int, page: Cursor | None) -> dict[str, Any]:
        """Newest first; ``source`` ``custom`` or ``anthropic`` (the stub has no Anthropic skills)."""
        with self.backend.lock:
            items = [s for s in self.skills.values() if source in (None, "custom")]
            out = paginate(items, lambda s: (s["data"]["created_at"], s["data"]["id"]), limit=limit, page=page,
                           descending=True)
            out["data"] = [self._skill_view(s) for s in out["data"]]
            return out

    def delete(self, skill_id: str) -> dict[str, Any]:
        with self.backend.lock:
            self._skill(skill_id)
            del self.skills[skill_id]
        return {"id": skill_id, "type": "skill_deleted"}

    # ---------------------------------------------------------------- versions
    def create_version(self, skill_id: str, files: builtins.list[tuple[str, bytes]]) -> dict[str, Any]:
        name, description, inner = check_upload(files)
        with self.backend.lock:
            s = self._skill(skill_id)
            first = s["versions"][0]["name"]
            if name != first:
                raise InvalidRequest(f"SKILL.md: name {name!r} differs from the skill's ({first!r}): a skill's name is "
                                     "fixed by its first upload. Keep the name (and directory), or create a new skill.")
            v = self._new_version(skill_id, name, description, inner)
            view = self._version_view(v)
            s["versions"].append(v)
            s["data"]["latest_version_id"] = v["id"]
            s["data"]["updated_at"] = v["created_at"]
            return view

    def get_version(self, skill_id: str, version: str) -> dict[str, Any]:
        with self.backend.lock:
            return self._version_view(self._version(self._skill(skill_id), version))

    def list_versions(self, skill_id: str, *, limit: int, page: Cursor | None) -> dict[str, Any]:
        """Newest first (an inference)."""
        with self.backend.lock:
            s = self._skill(skill_id)
            out = paginate(list(s["versions"]), lambda v: (v["created_at"], v["id"]), limit=limit, page=page,
                           descending=True)
            out["data"] = [self._version_view(v) for v in out["data"]]
            return out

    def delete_version(self, skill_id: str, version: str) -> dict[str, Any]:
        with self.backend.lock:
            s = self._skill(skill_id)
            v = self._version(s, version)
            if len(s["versions"]) == 1:
                raise InvalidRequest(f"version {v['id']!r} is the only version of skill {skill_id!r}, and a skill "
                                     "holds at least one. Delete the skill instead: client.beta.skills.delete(id).")
            s["versions"].remove(v)
            s["data"]["latest_version_id"] = s["versions"][-1]["id"]
            s["data"]["updated_at"] = rfc3339(now())
        return {"id": v["id"], "type": "skill_version_deleted"}

    def download(self, skill_id: str, version: str) -> bytes:
        """The version's files as a zip archive, under its name's directory."""
        with self.backend.lock:
            v = self._version(self._skill(skill_id), version)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                for path, content in sorted(v["_files"].items()):
                    z.writestr(zipfile.ZipInfo(f"{v['name']}/{path}", date_time=(2026, 1, 1, 0, 0, 0)), content)
            return buf.getvalue()

    # ---------------------------------------------------------------- agents and sessions
    def check_refs(self, skills: Any, where: str = "skills") -> None:
        """Every custom skill an agent names exists, with the version it pins; at most 20 skills."""
        skills = list(skills or [])
        if len(skills) > MAX_SKILLS_PER_SESSION:
            raise InvalidRequest(f"{where}: {len(skills)} skills; a session supports at most {MAX_SKILLS_PER_SESSION} "
                                 "(managed-agents/skills).")
        with self.backend.lock:
            for i, ref in enumerate(skills):
                if ref.get("type") != "custom":
                    continue
                s = self.skills.get(ref["skill_id"])
                if s is None:
                    raise NotFound(f"{where}[{i}].skill_id: skill {ref['skill_id']!r} not found. Create it with "
                                   "client.beta.skills.create(files=[...]) and pass its .id (the stub keeps state only "
                                   "while it runs).")
                if ref.get("version") not in (None, "latest"):
                    self._version(s, ref["version"])

    def mounted(self, skills: Any) -> dict[str, set]:
        """``{name: {paths inside the skill}}`` of the custom skills an agent snapshot carries, at their pinned
        versions (what a session finds under /workspace/skills/)."""
        out: dict[str, set] = {}
        with self.backend.lock:
            for ref in skills or []:
                s = self.skills.get(ref.get("skill_id")) if ref.get("type") == "custom" else None
                if s is None:
                    continue
                try:
                    v = self._version(s, ref.get("version") or "latest")
                except NotFound:
                    continue
                out[v["name"]] = set(v["_files"])
        return out
