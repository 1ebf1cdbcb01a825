"""The import's fast phone path gives exactly what alrea.phones.normalize_phone gives.

hypothesis is not installed: a table of the shapes people write, plus tens of thousands of
numbers generated from a seeded random.Random, every one compared with the parser's answer.
"""

import random

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from alrea.phones import normalize_phone
from contacts.importing.phones import DDDS, PhoneNormaliser, fast_br


def parser(raw, region="BR"):
    try:
        return normalize_phone(raw, region=region)
    except ValidationError as error:
        return ("invalid", error.messages)


def ours(raw, region="BR"):
    try:
        return PhoneNormaliser(region)(raw)
    except ValidationError as error:
        return ("invalid", error.messages)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(11) 98765-4321", "+5511987654321"),
        ("11987654321", "+5511987654321"),
        ("+55 11 9 8765-4321", "+5511987654321"),
        ("5511987654321", "+5511987654321"),
        ("011 98765-4321", "+5511987654321"),
        ("(11) 8765-4321", "+5511987654321"),  # old mobile: gains the 9
        ("1187654321", "+5511987654321"),
        ("+55 (21) 3456-7890", "+552134567890"),  # landline
        ("021 3456 7890", "+552134567890"),
        ("552134567890", "+552134567890"),
        ("85.99123.4567", "+5585991234567"),
        (" 71 3344-5566 ", "+557133445566"),
        ("+55 55 99123-4567", "+5555991234567"),  # DDD 55 after +55
        ("055 99123-4567", "+5555991234567"),
    ],
)
def test_common_brazilian_shapes_take_the_fast_path_and_agree(raw, e164):
    assert fast_br(raw) == e164
    assert parser(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "55 99123-4567",  # DDD 55 or country code 55? the parser decides
        "5599123456",
        "(0xx11) 98765-4321",
        "+1 415 555 2671",
        "0800 123 4567",
        "4004-1234",
        "11 98765-4321 ramal 12",
        "(20) 98765-4321",  # no DDD 20
        "11 18765-4321",
        "0 15 11 98765-4321",  # carrier code
        "00 55 11 98765-4321",
        "+55 11 98765-4321 / 2",
        "١١٩٨٧٦٥٤٣٢١",  # Arabic-Indic digits
        "11" + " " * 40 + "987654321",  # long inputs: the parser has a length limit
    ],
)
def test_anything_else_is_left_to_the_parser(raw):
    assert fast_br(raw) is None
    assert ours(raw) == parser(raw)


@pytest.mark.parametrize("ddd", [f"{n:02d}" for n in range(10, 100)])
def test_the_fast_ddd_list_is_the_one_in_the_phone_metadata(ddd):
    FIXED_LINE, MOBILE = (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
    )
    for subscriber in ("987654321", "34567890"):
        number = phonenumbers.PhoneNumber(country_code=55, national_number=int(ddd + subscriber))
        kind = phonenumbers.number_type(number)
        assert (kind in (FIXED_LINE, MOBILE)) == (ddd in DDDS), ddd + subscriber


def test_no_ddd_starts_with_zero():
    assert not [ddd for ddd in DDDS if ddd.startswith("0")]


def generated_numbers(seed: int, count: int):
    rng = random.Random(seed)
    all_ddds = [f"{n:02d}" for n in range(100)]
    ddds = sorted(DDDS)
    prefixes = [
        "",
        "",
        "",
        "0",
        "55",
        "+55",
        "+55 ",
        "+ 55",
        "0055",
        "0015",
        "015",
        "90",
        "0 21 ",
        "+1 ",
        "5",
        "550",
        "00",
        "+",
        "(0",
        "1",
        "(+55) ",
    ]
    for _ in range(count):
        ddd = rng.choice(all_ddds) if rng.random() < 0.3 else rng.choice(ddds)
        size = rng.choice([7, 8, 8, 9, 9, 9, 10])
        subscriber = "".join(rng.choice("0123456789") for _ in range(size))
        if rng.random() < 0.6:
            subscriber = rng.choice("2345678999") + subscriber[1:]
        prefix = rng.choice(prefixes)
        number = ddd + subscriber
        style = rng.randrange(8)
        if style == 0:
            yield prefix + number
        elif style == 1:
            yield f"{prefix}({ddd}) {subscriber[:-4]}-{subscriber[-4:]}"
        elif style == 2:
            yield f"{prefix} {ddd} {subscriber[:1]} {subscriber[1:-4]}-{subscriber[-4:]}"
        elif style == 3:
            yield f"{prefix}{ddd}.{subscriber[:-4]}.{subscriber[-4:]}"
        elif style == 4:
            yield f" {prefix}{number} "
        elif style == 5:
            yield "".join(
                c + rng.choice(["", "", " ", "-", ".", "(", ")"]) for c in prefix + number
            )
        elif style == 6:
            yield prefix + number + rng.choice(["x12", " ramal 3", "#", "/", "a", "-", ")", " "])
        else:
            yield rng.choice(["(", "-", ".", " ", "'"]) + prefix + number


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fast_path_equals_the_parser_on_generated_numbers(seed):
    fast = 0
    for raw in generated_numbers(seed, 10_000):
        answer = fast_br(raw)
        if answer is not None:
            fast += 1
            assert answer == parser(raw), raw
    assert fast > 1000  # the comparison really exercised the fast path


def test_well_formed_brazilian_numbers_almost_all_take_the_fast_path():
    rng = random.Random(7)
    ddds = sorted(DDDS - {"55"})
    shapes = ["({d}) 9{a}-{b}", "{d}9{a}{b}", "+55 {d} 9{a}-{b}", "55{d}9{a}{b}", "({d}) 3{a3}-{b}"]
    total = fast = 0
    for _ in range(5000):
        raw = rng.choice(shapes).format(
            d=rng.choice(ddds),
            a=f"{rng.randrange(10000):04d}",
            a3=f"{rng.randrange(1000):03d}",
            b=f"{rng.randrange(10000):04d}",
        )
        total += 1
        answer = fast_br(raw)
        if answer is not None:
            fast += 1
            assert answer == parser(raw), raw
    assert fast == total


def test_another_country_always_uses_the_parser():
    assert ours("(11) 98765-4321", "PT") == parser("(11) 98765-4321", "PT")
    assert ours("912 345 678", "PT") == "+351912345678"
