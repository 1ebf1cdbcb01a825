"""Benchmarks: ``python -m tests.bench.<name>``; results go into docs/performance.md.

Importing this package prepares what every benchmark needs before Django starts: the source
roots on ``sys.path`` and the test suite's settings (the same local services).
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for source_root in (str(ROOT), str(ROOT / "platform")):
    if source_root not in sys.path:
        sys.path.insert(0, source_root)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
