"""``python -m lifelog.bench``: see :mod:`lifelog.bench.report`."""

from __future__ import annotations

import sys

from .report import main

if __name__ == "__main__":
    sys.exit(main())
