"""Patch llama-cpp-python's copy of ggml so that its AMX kernels run.

ggml configures the AMX tiles of each thread in ``ggml_tile_config_init``
(``vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp``): it fills a configuration on the
stack and hands it to ``_tile_loadconfig``. The compiler may drop those stores (the
intrinsic's read of them is not seen), the tiles stay unconfigured, and the first
``tilezero`` raises SIGILL in ``ggml_backend_amx_mul_mat`` on the first prompt, as it
did here for every model with llama-cpp-python 0.3.36. llama.cpp pull request 26954
describes the fault; the fix here builds the configuration once, in a static object.

Usage (the Makefile runs it on the unpacked source before building the wheel)::

    python tools/patch_llama_amx.py SOURCE_DIR

It changes nothing, and says so, when the source already holds the fix; it stops with
an error when the function is not as expected (another llama-cpp-python version).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MMQ = Path("vendor/llama.cpp/ggml/src/ggml-cpu/amx/mmq.cpp")
BEFORE = "    alignas(64) tile_config_t tc = {};\n"
LOAD = "    _tile_loadconfig(&tc);"
FIELD = re.compile(r"tc\.(?:palette_id|start_row|rows\[\d\]|colsb\[\d\]) = \d+;")
MARK = "static const tile_config_t tc"


def patch(source: Path) -> bool:
    """Patch the unpacked llama-cpp-python source at ``source``; ``False`` when it
    already holds the fix. Raises ``ValueError`` when the code is not as expected."""
    path = source / MMQ
    text = path.read_text(encoding="utf-8")
    if MARK in text:
        return False
    start = text.find(BEFORE)
    end = text.find(LOAD, start)
    if start < 0 or end < 0:
        raise ValueError(f"{path}: ggml_tile_config_init is not as expected; not patched")
    fields = [line.strip() for line in text[start + len(BEFORE) : end].splitlines()]
    fields = [line for line in fields if line]
    # only assignments of numbers to the configuration's fields, as in 0.3.36
    if not fields or not all(FIELD.fullmatch(part) for f in fields for part in _parts(f)):
        raise ValueError(f"{path}: the AMX tile configuration is not as expected; not patched")
    body = "".join(f"        {line.replace('tc.', 'c.')}\n" for line in fields)
    fixed = (
        "    // built once, in a static object: on the stack the compiler may drop the\n"
        "    // stores before _tile_loadconfig, leaving the tiles unconfigured (SIGILL)\n"
        "    alignas(64) static const tile_config_t tc = [] {\n"
        "        tile_config_t c = {};\n" + body + "        return c;\n    }();\n"
    )
    path.write_text(text[:start] + fixed + text[end:], encoding="utf-8")
    return True


def _parts(line: str) -> list[str]:
    """``"tc.rows[0] = 8;   tc.colsb[0] = 64;"`` as its two statements."""
    return [part.strip() + ";" for part in line.split(";") if part.strip()]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[0], "\nusage: patch_llama_amx.py SOURCE_DIR")
        return 2
    try:
        changed = patch(Path(argv[0]))
    except (OSError, ValueError) as error:
        print(f"patch_llama_amx: {error}", file=sys.stderr)
        return 1
    print("patched the AMX tile configuration" if changed else "the AMX fix is already there")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
