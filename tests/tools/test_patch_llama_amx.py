"""tools/patch_llama_amx.py on a copy of the function it fixes, as llama-cpp-python 0.3.36
ships it (the build patches the real source; the real-model tests then run on it)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "patch_llama_amx.py"

SHIPPED = """\
inline void ggml_tile_config_init(void) {
    static thread_local bool done = false;

    if (done) {
        return;
    }

    alignas(64) tile_config_t tc = {};
    tc.palette_id = 1;
    tc.start_row = 0;
    tc.rows[0] = 8;   tc.colsb[0] = 64;
    tc.rows[1] = 8;   tc.colsb[1] = 64;
    tc.rows[2] = 16;  tc.colsb[2] = 32;
    tc.rows[3] = 16;  tc.colsb[3] = 32;
    tc.rows[4] = 16;  tc.colsb[4] = 64;
    tc.rows[5] = 16;  tc.colsb[5] = 64;
    tc.rows[6] = 16;  tc.colsb[6] = 64;
    tc.rows[7] = 16;  tc.colsb[7] = 64;

    _tile_loadconfig(&tc);
    done = true;
}
"""


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("patch_llama_amx", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def source(tmp_path: Path, text: str) -> Path:
    mmq = tmp_path / "vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp"
    mmq.parent.mkdir(parents=True)
    mmq.write_text("// head\n" + text + "// tail\n", encoding="utf-8")
    return mmq


def test_the_tile_configuration_is_built_once_in_a_static_object(tmp_path: Path) -> None:
    patcher = script()
    mmq = source(tmp_path, SHIPPED)
    assert patcher.patch(tmp_path) is True
    text = mmq.read_text(encoding="utf-8")
    assert "alignas(64) static const tile_config_t tc = [] {" in text
    assert "tile_config_t tc = {};" not in text
    # the same eight tiles, the same sizes, loaded as before
    assert text.count("c.rows[") == 8 and "        c.rows[2] = 16;  c.colsb[2] = 32;" in text
    assert text.index("return c;") < text.index("_tile_loadconfig(&tc);")
    assert text.startswith("// head\n") and text.endswith("    done = true;\n}\n// tail\n")
    # a second run leaves it alone
    assert patcher.patch(tmp_path) is False
    assert mmq.read_text(encoding="utf-8") == text
    assert patcher.main([str(tmp_path)]) == 0


def test_another_version_is_refused_not_guessed(tmp_path: Path) -> None:
    patcher = script()
    mmq = source(tmp_path, SHIPPED.replace("tc.rows[7] = 16;", "tc.rows[7] = rows();"))
    before = mmq.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="not as expected"):
        patcher.patch(tmp_path)
    assert mmq.read_text(encoding="utf-8") == before
    assert patcher.main([str(tmp_path)]) == 1
    assert patcher.main([str(tmp_path / "absent")]) == 1
    assert patcher.main([]) == 2
