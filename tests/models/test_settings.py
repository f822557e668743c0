"""Where answers are generated: memory.json, LIFELOG_LLM_* and --model, in that order."""

from __future__ import annotations

import pytest

from lifelog.errors import ConfigError, UserError
from lifelog.models.llm import create_llm, estimate_tokens, resolve_settings


def test_the_embedded_model_is_the_default() -> None:
    settings = resolve_settings(None, env={})
    assert (settings.backend, settings.model_path, settings.enabled) == ("local", None, True)


def test_environment_points_at_a_server_and_carries_the_key() -> None:
    env = {
        "LIFELOG_LLM_BASE_URL": "http://127.0.0.1:11434/v1",
        "LIFELOG_LLM_MODEL": "gpt-oss:20b",
        "LIFELOG_LLM_API_KEY": "sk-test",
    }
    settings = resolve_settings({"context_window": 8192}, env=env)
    assert settings.backend == "openai"
    assert (settings.base_url, settings.model, settings.api_key) == (
        "http://127.0.0.1:11434/v1",
        "gpt-oss:20b",
        "sk-test",
    )
    assert settings.context_window == 8192


def test_config_names_a_server_and_another_key_variable() -> None:
    named = "LIFELOG_LLM_API_KEY_QWEN"  # only a variable named for the purpose
    config = {"base_url": "http://10.0.0.2:8000/v1", "model": "Qwen3-8B", "api_key_env": named}
    settings = resolve_settings(config, env={named: "k"})
    assert (settings.backend, settings.model, settings.api_key) == ("openai", "Qwen3-8B", "k")


@pytest.mark.parametrize("off", ["none", "off", "NONE"])
def test_none_turns_generation_off(off: str) -> None:
    assert not resolve_settings(None, env={"LIFELOG_LLM_MODEL": off}).enabled
    assert not resolve_settings(None, model=off, env={}).enabled
    assert create_llm(resolve_settings(None, model=off, env={})) is None


def test_model_argument_beats_environment() -> None:
    env = {"LIFELOG_LLM_BASE_URL": "http://127.0.0.1:1/v1", "LIFELOG_LLM_MODEL": "big"}
    assert resolve_settings(None, model="local", env=env).backend == "local"
    gguf = resolve_settings(None, model="/models/qwen3.gguf", env=env)
    assert (gguf.backend, gguf.model_path) == ("local", "/models/qwen3.gguf")
    assert resolve_settings(None, model="other", env=env).model == "other"


def test_a_server_model_without_a_server_is_a_user_error() -> None:
    with pytest.raises(UserError, match="LIFELOG_LLM_BASE_URL"):
        resolve_settings(None, model="gpt-oss:20b", env={})


def test_memory_json_never_holds_a_key() -> None:
    with pytest.raises(ConfigError, match="must not hold an API key"):
        resolve_settings({"api_key": "sk-live"}, env={})


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="settings.llm"):
        resolve_settings({"context_window": "lots"}, env={})
    with pytest.raises(ConfigError, match="tools"):
        resolve_settings({"tools": "sometimes"}, env={})
    with pytest.raises(ConfigError, match="unknown LLM backend 'nope'"):
        create_llm(resolve_settings({"backend": "nope"}, env={}))


def test_token_estimate_over_counts_rather_than_under() -> None:
    assert estimate_tokens("") == 1
    assert estimate_tokens("a" * 350) >= 100
    assert estimate_tokens("日本語のテキスト" * 10) >= 80  # one token a character at least
