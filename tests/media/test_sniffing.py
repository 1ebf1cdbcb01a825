"""The content type comes from the bytes; the declared one survives only when they agree."""

import pytest

from media.sniffing import content_type, is_inline

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"
ZIP = b"PK\x03\x04\x14\x00\x06\x00"
OGG = b"OggS\x00\x02" + b"\x00" * 20
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"
M4A = b"\x00\x00\x00\x18ftypM4A \x00\x00\x02\x00"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        (JPEG, "image/jpeg", "image/jpeg"),
        (JPEG, "application/pdf", "image/jpeg"),  # the bytes win
        (OGG, "audio/ogg; codecs=opus", "audio/ogg; codecs=opus"),  # agreeing: kept, codec too
        (MP4, "video/mp4", "video/mp4"),
        (M4A, "audio/mp4", "audio/mp4"),
        (ZIP, XLSX, XLSX),  # an .xlsx is a zip: the precise type is kept
        (ZIP, "image/png", "application/zip"),
        (b"%PDF-1.7\n", "", "application/pdf"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", "image/webp"),
        (b"ID3\x04\x00", "audio/mpeg", "audio/mpeg"),
        (b"name,phone\nAna,+55", "text/csv", "text/csv"),  # unknowable bytes, harmless type
        (b"just bytes", "image/jpeg", "application/octet-stream"),  # claims what it is not
        (b"<svg onload=alert(1)>", "image/svg+xml", "application/octet-stream"),
        (b"<html></html>", "text/html", "application/octet-stream"),
        (b"just bytes", "", "application/octet-stream"),
    ],
)
def test_content_type_from_the_bytes(data, declared, expected):
    assert content_type(data, declared) == expected


@pytest.mark.parametrize(
    ("value", "inline"),
    [
        ("image/jpeg", True),
        ("audio/ogg; codecs=opus", True),
        ("video/mp4", True),
        ("application/pdf", True),
        ("image/heic", False),
        ("text/csv", False),
        ("application/octet-stream", False),
    ],
)
def test_only_safe_types_show_inside_the_page(value, inline):
    assert is_inline(value) is inline
