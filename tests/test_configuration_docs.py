import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_environment_variable_the_settings_read_is_documented():
    settings_source = (ROOT / "platform/alrea/settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', settings_source))
    documented = set(
        re.findall(
            r"^\| `([A-Z0-9_]+)`", (ROOT / "docs/configuration.md").read_text(), re.MULTILINE
        )
    )
    assert len(read) > 30  # the pattern really finds the settings' variables
    assert read - documented == set()
