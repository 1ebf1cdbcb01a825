"""Small real files the simulator hands out as media: a JPEG, an Ogg Opus voice note, an MP4
header, a PDF and a WebP sticker. Media sent as base64 is kept as sent instead."""

import struct
from functools import cache
from pathlib import Path

SAMPLES = Path(__file__).with_name("samples")

# mimetype -> the extension Evolution gives ``<key.id>.<ext>`` (mime-types.extension)
EXTENSIONS = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "image/webp": "webp",
    "audio/ogg; codecs=opus": "oga",
    "audio/ogg": "oga",
    "audio/mpeg": "mpga",
    "audio/mp4": "m4a",
    "video/mp4": "mp4",
    "application/pdf": "pdf",
}

MIMETYPES = {
    "imageMessage": "image/jpeg",
    "audioMessage": "audio/ogg; codecs=opus",
    "videoMessage": "video/mp4",
    "documentMessage": "application/pdf",
    "stickerMessage": "image/webp",
}


@cache
def sample(message_type: str) -> bytes:
    return {
        "imageMessage": lambda: (SAMPLES / "image.jpg").read_bytes(),
        "stickerMessage": lambda: (SAMPLES / "sticker.webp").read_bytes(),
        "audioMessage": _ogg_opus_silence,
        "videoMessage": _mp4_header,
        "documentMessage": _pdf,
    }[message_type]()


def _pdf() -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length 44 >>\nstream\nBT /F1 18 Tf 20 40 Td (Simulador) Tj ET\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def _ogg_page(packet: bytes, sequence: int, granule: int, flags: int) -> bytes:
    lacing = bytes([255] * (len(packet) // 255) + [len(packet) % 255])
    header = struct.pack("<4sBBqIII", b"OggS", 0, flags, granule, 0x5A4C5245, sequence, 0)
    page = header + bytes([len(lacing)]) + lacing + packet
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def _ogg_opus_silence() -> bytes:
    """One second of silence: OpusHead, OpusTags, then 50 silent 20 ms CELT frames."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 9) + b"simulador" + struct.pack("<I", 0)
    frames = b"".join(_ogg_page(b"\xf8\xff\xfe", 2 + i, 312 + 960 * (i + 1), 0) for i in range(49))
    last = _ogg_page(b"\xf8\xff\xfe", 51, 312 + 960 * 50, 4)
    return _ogg_page(head, 0, 0, 2) + _ogg_page(tags, 1, 0, 0) + frames + last


def _mp4_header() -> bytes:
    """An ISO-BMFF ``ftyp`` box: identifies as MP4, carries no frames."""
    return struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isommp41"
