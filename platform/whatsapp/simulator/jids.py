"""Numbers to JIDs exactly as Evolution's src/utils/createJid.ts, and who is "on WhatsApp"."""

import hashlib
import re

_SUFFIXES = ("@g.us", "@s.whatsapp.net", "@lid", "@broadcast")
_BR = re.compile(r"^(\d{2})(\d{2})\d(\d{8})$")


def create_jid(number: str) -> str:
    number = re.sub(r":\d+", "", number, count=1)
    if any(suffix in number for suffix in _SUFFIXES):
        return number
    number = re.sub(r"[\s+()]", "", number).split(":")[0].split("@")[0]
    if "-" in number and len(number) >= 24:
        return re.sub(r"[^\d-]", "", number) + "@g.us"
    number = re.sub(r"\D", "", number)
    if len(number) >= 18:
        return number + "@g.us"
    return _format_br(_format_mx_ar(number)) + "@s.whatsapp.net"


def _format_mx_ar(number: str) -> str:
    if number[:2] in ("52", "54") and len(number) == 13:
        return number[:2] + number[3:]
    return number


def _format_br(number: str) -> str:
    """Drop the ninth digit for DDD ≥ 31 when the subscriber number starts with 7, 8 or 9."""
    match = _BR.match(number)
    if match and match[1] == "55" and int(match[2]) >= 31 and int(match[3][0]) >= 7:
        return match[1] + match[2] + match[3]
    return number


def digits(jid: str) -> str:
    return jid.split("@")[0].split(":")[0]


def is_group(jid: str) -> bool:
    return jid.endswith("@g.us")


def on_whatsapp(jid: str, not_on_whatsapp: set[str], as_sent: str = "") -> bool:
    """Groups always exist; a user does unless listed, or its number ends in 0000 (the default
    rule, so fixtures can name an unregistered number without configuring anything)."""
    if is_group(jid):
        return True
    number = digits(jid)
    listed = {number, re.sub(r"\D", "", as_sent)} & not_on_whatsapp
    return not listed and not number.endswith("0000")


def lid_for(jid: str) -> str:
    """A stable 15-digit privacy id (LID) for a phone JID."""
    value = int(hashlib.sha256(digits(jid).encode()).hexdigest(), 16)
    return f"1{value % 10**14:014d}@lid"
