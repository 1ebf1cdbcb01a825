"""Puts the source roots on sys.path for entry points that do not go through manage.py."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

for source_root in (ROOT / "platform", ROOT):
    if str(source_root) not in sys.path:
        sys.path.insert(0, str(source_root))
