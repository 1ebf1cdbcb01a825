#!/usr/bin/env python
"""Django's command-line utility for Alrea."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main():
    # platform/ is a source root, not a package: a package named `platform` would shadow the
    # standard library module of that name.
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alrea.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
