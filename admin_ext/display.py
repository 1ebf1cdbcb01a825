"""Column and field renderers shared by the admin pages."""

import json

from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display


def status_badge(colours: dict[str, str], *, field: str = "status", description=None):
    """A list column (or read-only field) that shows ``field``'s choice as a coloured badge.

    ``colours`` maps stored values to unfold's label colours (success, info, warning, danger);
    values left out get the neutral badge. Use as ``status_badge_column = status_badge({...})``.
    """

    @display(description=description or _("status"), ordering=field, label=colours)
    def badge(model_admin, obj):
        return getattr(obj, field), getattr(obj, f"get_{field}_display")()

    return badge


def pretty_json(value) -> str:
    """JSON indented for reading, in a scrollable block (raw payloads can be long)."""
    return format_html(
        '<pre class="max-h-[32rem] overflow-auto text-xs whitespace-pre-wrap">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


def excerpt(text: str, length: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
