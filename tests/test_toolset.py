"""helpers.toolset: which built-in tools an agent's tools enable, with what permission policy (the one reader the
stub, the checks and the set-up helpers share), on params, the stub's normal form and the SDK's own objects."""
from __future__ import annotations

from anthropic.types.beta import BetaManagedAgentsAgentToolset20260401

from helpers import resources
from helpers.stub.agents import normalize_tools
from helpers.toolset import BUILTIN_TOOLS, enabled_builtin_tools

ALL_ALLOWED = {name: "always_allow" for name in BUILTIN_TOOLS}


def test_a_bare_toolset_enables_every_tool_with_always_allow():
    """SDK: the default's enabled "Defaults to true if not specified"; docs (permission-policies): "If you omit it, the
    agent toolset is enabled with the default permission policy, always_allow"."""
    assert enabled_builtin_tools([{"type": "agent_toolset_20260401"}]) == ALL_ALLOWED
    assert enabled_builtin_tools([{"type": "custom", "name": "bash"}]) == {}
    assert enabled_builtin_tools(None) == {}


def test_a_config_overrides_the_default_and_unset_fields_fall_back_to_it():
    toolset = {"type": "agent_toolset_20260401",
               "default_config": {"enabled": False, "permission_policy": {"type": "always_ask"}},
               "configs": [{"name": "bash", "enabled": True}, {"name": "read", "enabled": True,
                                                              "permission_policy": {"type": "always_allow"}},
                           {"name": "grep", "enabled": None}, {"name": "glob"}]}
    assert enabled_builtin_tools([toolset]) == {"bash": "always_ask", "read": "always_allow"}
    toolset["default_config"]["enabled"] = None  # unset: on
    toolset["configs"].append({"name": "web_search", "enabled": False})
    on = enabled_builtin_tools([toolset])
    assert set(on) == set(BUILTIN_TOOLS) - {"web_search"} and on["read"] == "always_allow" and on["edit"] == "always_ask"


def test_the_first_toolset_that_enables_a_tool_decides_its_policy():
    ask = {"type": "agent_toolset_20260401", "default_config": {"enabled": False},
           "configs": [{"name": "bash", "enabled": True, "permission_policy": {"type": "always_ask"}}]}
    assert enabled_builtin_tools([ask, {"type": "agent_toolset_20260401"}])["bash"] == "always_ask"
    assert enabled_builtin_tools([{"type": "agent_toolset_20260401"}, ask])["bash"] == "always_allow"


def test_params_the_stubs_normal_form_and_sdk_objects_read_the_same():
    """The workshop's agent: bash, read, glob and grep on, nothing else; the same whichever form the tools take."""
    params = resources.agent_tools()
    normal = normalize_tools(params, [])
    sdk = [BetaManagedAgentsAgentToolset20260401.model_validate(t) for t in normal if t["type"] != "custom"]
    want = {"bash": "always_allow", "read": "always_allow", "glob": "always_allow", "grep": "always_allow"}
    assert enabled_builtin_tools(params) == enabled_builtin_tools(normal) == enabled_builtin_tools(sdk) == want
    assert list(enabled_builtin_tools(params)) == ["bash", "read", "glob", "grep"]  # BUILTIN_TOOLS order
