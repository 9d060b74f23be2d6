"""helpers.stub.validator_cache: the SDK params validators kept between kernels, and only ever read if they are ours."""
from __future__ import annotations

import os
import pickle

import pydantic
import pytest
from anthropic.types.beta.agent_create_params import AgentCreateParams
from typing_extensions import TypedDict

from helpers.stub import validation, validator_cache
from helpers.stub.exceptions import InvalidRequest

AGENT = {"model": "claude-sonnet-4-6", "name": "n"}


@pytest.fixture
def cache(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    validation.adapter.cache_clear()
    yield tmp_path
    validation.adapter.cache_clear()


def _no_building(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("built again instead of loaded")

    monkeypatch.setattr(pydantic, "TypeAdapter", refuse)


def test_a_fresh_kernel_loads_what_an_earlier_one_built(cache, monkeypatch):
    validation.adapter(AgentCreateParams)
    saved = validator_cache.path_for(AgentCreateParams)
    assert saved.parent == cache / "validators" and saved.is_file()
    assert saved.name.startswith("anthropic.types.beta.agent_create_params.AgentCreateParams-")
    if os.name == "posix":
        assert saved.parent.stat().st_mode & 0o777 == 0o700 and not saved.stat().st_mode & 0o077
    validation.adapter.cache_clear()
    with monkeypatch.context() as m:
        _no_building(m)
        assert validation.validate_params(AgentCreateParams, AGENT)["name"] == "n"
        with pytest.raises(InvalidRequest, match="name"):  # the same errors as the built one
            validation.validate_params(AgentCreateParams, dict(AGENT, name=5))


@pytest.mark.parametrize("spoil", ["garbage", "foreign code", "others may write it"])
def test_a_file_that_is_not_ours_is_never_unpickled(cache, monkeypatch, tmp_path, spoil):
    validation.adapter(AgentCreateParams)
    saved = validator_cache.path_for(AgentCreateParams)
    ran = tmp_path / "ran"
    if spoil == "garbage":
        saved.write_bytes(b"not a pickle")
    elif spoil == "foreign code":  # what a planted file would do: call something when unpickled
        class Planted:
            def __reduce__(self):
                return (os.mkdir, (str(ran),))

        saved.write_bytes(pickle.dumps(Planted()))
    else:
        if os.name != "posix":
            pytest.skip("file modes are POSIX")
        saved.chmod(0o666)
    validation.adapter.cache_clear()
    assert validator_cache.load(AgentCreateParams) is None
    assert not ran.exists()
    assert validation.adapter(AgentCreateParams).validate_python(AGENT)["name"] == "n"  # built again


def test_only_the_sdk_params_are_kept_and_only_with_the_cache_on(cache, monkeypatch):
    class Local(TypedDict):
        n: int

    assert validator_cache.path_for(Local) is None and validation.adapter(Local).validate_python({"n": 1}) == {"n": 1}
    assert validator_cache.path_for(int) is None
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", "off")
    assert validator_cache.path_for(AgentCreateParams) is None
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", "~nosuchuser-workshop/x")  # cannot be resolved: the caches are off
    assert validator_cache.path_for(AgentCreateParams) is None
    validation.adapter.cache_clear()
    assert validation.validate_params(AgentCreateParams, AGENT)["name"] == "n"
    assert not (cache / "validators").exists()


def test_a_log_cache_setting_that_cannot_be_resolved_parses_without_the_cache(monkeypatch, tmp_path):
    from helpers import incident

    log = tmp_path / "app.log"
    log.write_text('{"ts":"2026-11-18T12:00:00.000Z","level":"INFO","service":"cart","route":"GET /cart",'
                   '"status":200,"latency_ms":3,"trace_id":"ab","msg":"ok"}\n' * 20_000)
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", "~nosuchuser-workshop/x")
    assert incident.load_log_columns(log).n == 20_000
