"""Which reactions an agent may send: one emoji on a customer's message that WhatsApp knows."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from chat.models import Message

# Emoji are symbols, joined and varied by these (ZWJ, variation selectors, skin tones, keycaps).
EMOJI_CATEGORIES = {"So", "Sk", "Mn", "Me", "Cf"}
MAX_LENGTH = 16  # the longest family and flag sequences fit
ZWJ = "\u200d"
REGIONAL_INDICATORS = (0x1F1E6, 0x1F1FF)


def check(target: Message, emoji: str) -> None:
    """Raise ValidationError saying why ``emoji`` ("" takes ours back) cannot go on ``target``."""
    if target.direction != Message.Direction.INBOUND or target.type in (
        Message.Type.NOTE,
        Message.Type.REACTION,
    ):
        raise ValidationError(_("Only a customer's message can get a reaction."))
    if not target.provider_id:
        raise ValidationError(_("WhatsApp does not know this message: it cannot get a reaction."))
    if emoji and not is_emoji(emoji):
        raise ValidationError(_("A reaction is one emoji."))


def is_emoji(text: str) -> bool:
    """One emoji: symbols joined by ZWJ count once, as does a pair of flag letters."""
    if not text or len(text) > MAX_LENGTH:
        return False
    units, flag_letters, previous = 0, 0, ""
    for char in text:
        category = unicodedata.category(char)
        if category not in EMOJI_CATEGORIES:
            return False
        if REGIONAL_INDICATORS[0] <= ord(char) <= REGIONAL_INDICATORS[1]:
            flag_letters += 1
            units += flag_letters % 2  # the first letter of each pair
        elif category == "So" and previous != ZWJ:
            units += 1
        previous = char
    return units == 1
