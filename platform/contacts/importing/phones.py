"""Phone normalisation at import speed.

``alrea.phones.normalize_phone`` parses with ``phonenumbers``, about 25 µs a number: 2.5 s of a
100,000-row import. Almost every number in a Brazilian spreadsheet has one of a few shapes that
need no parser: digits with the usual punctuation, an optional ``0``, ``55`` or ``+55`` in front,
a DDD and an 8- or 9-digit subscriber number. ``PhoneNormaliser`` answers those itself and hands
everything else to ``normalize_phone``, so its answers are the same by construction; the tests
compare both on tens of thousands of generated numbers.

Why each shape gives what ``phonenumbers`` gives (BR metadata, phonenumbers 9.0):

- 10 or 11 digits starting with a DDD: no international or national prefix can match (a DDD never
  starts with 0, and ``90``, the other national prefix, is no DDD), and ``55`` at the front is
  left to the parser, which may read it as the country code.
- ``0`` + 10 or 11 digits: the national prefix. Its carrier-code form (``0`` + carrier + 10-11
  digits) needs at least 13 digits, so here ``0`` alone is stripped.
- ``55`` + 10 or 11 digits (12-13 digits): too long for a national number, so the parser strips
  the country code.
- ``+55`` + 10 or 11 digits: the national part never starts with a national prefix.

A DDD from the fixed-line/mobile patterns, then an 8-digit subscriber starting with 2-5 is a
landline, 8 digits starting with 6-9 an old mobile that gains the ninth digit (as
``normalize_phone`` does), and 9 digits starting with 9 a mobile. Anything else goes to the parser.
"""

from alrea.phones import normalize_phone

# DDDs accepted by the BR fixed-line and mobile patterns:
# (?:[14689][1-9]|2[12478]|3[1-578]|5[13-5]|7[13-579])
DDDS = frozenset(
    [f"{a}{b}" for a in "14689" for b in "123456789"]
    + [f"2{b}" for b in "12478"]
    + [f"3{b}" for b in "1234578"]
    + [f"5{b}" for b in "1345"]
    + [f"7{b}" for b in "134579"]
)
_PUNCTUATION = str.maketrans("", "", " ()-.")
# Longer inputs go to the parser, which refuses some of them (its input limit is 250).
_MAX_FAST_LENGTH = 40


def fast_br(raw: str) -> str | None:
    """E.164 for the common Brazilian shapes, or None when the parser must decide."""
    text = raw.strip()
    if len(text) > _MAX_FAST_LENGTH:
        return None
    plus = text[:1] == "+"
    digits = (text[1:] if plus else text).translate(_PUNCTUATION)
    if not (digits.isdigit() and digits.isascii()):
        return None
    size = len(digits)
    if plus:
        if size not in (12, 13) or digits[:2] != "55":
            return None
        national = digits[2:]
    elif size in (12, 13) and digits[:2] == "55":
        national = digits[2:]
    elif size in (11, 12) and digits[0] == "0":
        national = digits[1:]
    elif size in (10, 11) and digits[:2] != "55":
        national = digits
    else:
        return None
    ddd = national[:2]
    if ddd not in DDDS:
        return None
    subscriber = national[2:]
    first = subscriber[0]
    if len(subscriber) == 8:
        if first in "6789":
            return f"+55{ddd}9{subscriber}"
        if first in "2345":
            return f"+55{national}"
        return None
    if first == "9":
        return f"+55{national}"
    return None


class PhoneNormaliser:
    """``normalize_phone(raw, region)``, fast for the common Brazilian shapes."""

    def __init__(self, region: str):
        self.region = region
        self.fast = fast_br if region == "BR" else None

    def __call__(self, raw: str) -> str:
        """E.164 of ``raw``; raises the same ValidationError as ``normalize_phone``."""
        if self.fast is not None:
            found = self.fast(raw)
            if found is not None:
                return found
        return normalize_phone(raw, region=self.region)
