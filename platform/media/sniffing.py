"""What a file is, from its first bytes: the type WhatsApp declares is a hint, not a fact.

``content_type(data, declared)`` keeps the declared type when the bytes agree with it (it may
be more precise: ``audio/ogg; codecs=opus``, or an .xlsx, which is a zip), answers the sniffed
type when they disagree, and ``application/octet-stream`` for bytes it cannot recognise that
claim to be a type it would recognise, or a type a browser would run as a page.
"""

OCTET_STREAM = "application/octet-stream"

_PREFIXES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"OggS", "audio/ogg"),
    (b"#!AMR", "audio/amr"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"\x1aE\xdf\xa3", "video/webm"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # .doc, .xls, .ppt
]
_RIFF = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}
# ISO-BMFF brands (the ``ftyp`` box) that are not plain MP4 video.
_BRANDS = {
    b"M4A ": "audio/mp4",
    b"heic": "image/heic",
    b"heix": "image/heic",
    b"mif1": "image/heif",
    b"qt  ": "video/quicktime",
    b"3gp4": "video/3gpp",
    b"3gp5": "video/3gpp",
}

# Declared types the sniffed one does not contradict.
_AGREEING = {
    "audio/ogg": {"audio/ogg", "audio/opus", "video/ogg", "application/ogg"},
    "audio/mpeg": {"audio/mpeg", "audio/mp3"},
    "audio/mp4": {"audio/mp4", "audio/x-m4a", "audio/aac", "video/mp4"},
    "video/mp4": {"video/mp4", "audio/mp4", "audio/x-m4a", "video/3gpp", "video/quicktime"},
    "video/webm": {"video/webm", "audio/webm"},
    "audio/wav": {"audio/wav", "audio/x-wav", "audio/wave"},
    "application/x-ole-storage": {
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
    },
}
_ZIP_BASED = (
    "application/zip",
    "application/x-zip-compressed",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
    "application/epub+zip",
    "application/vnd.android.package-archive",
)
# A browser renders these as a page of our site (scripts included): never kept.
_ACTIVE = {
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
}
_RECOGNISED_FAMILIES = ("image/", "audio/", "video/")

# Safe to show inside the page; everything else is served as a download.
INLINE = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "application/pdf",
}
RASTER_IMAGES = {"image/jpeg", "image/png", "image/gif", "image/webp"}


def sniff(data: bytes) -> str | None:
    for prefix, content_type in _PREFIXES:
        if data.startswith(prefix):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] in _RIFF:
        return _RIFF[data[8:12]]
    if data[4:8] == b"ftyp":
        return _BRANDS.get(data[8:12], "video/mp4")
    if len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # an MP3 frame without an ID3 tag
    return None


def base_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def content_type(data: bytes, declared: str) -> str:
    declared = (declared or "").strip()
    declared_base = base_type(declared)
    sniffed = sniff(data)
    if sniffed is not None:
        agrees = (
            declared_base == sniffed
            or declared_base in _AGREEING.get(sniffed, ())
            or (sniffed == "application/zip" and declared_base.startswith(_ZIP_BASED))
        )
        return declared if agrees else sniffed
    claims_recognisable = declared_base.startswith(_RECOGNISED_FAMILIES) or declared_base in {
        "application/pdf",
        *_ACTIVE,
    }
    if not declared_base or claims_recognisable:
        return OCTET_STREAM
    return declared


def is_active(content_type: str) -> bool:
    """A type a browser would run as a page of the site (scripts included)."""
    return base_type(content_type) in _ACTIVE


def is_inline(content_type: str) -> bool:
    base = base_type(content_type)
    return base in INLINE or base.startswith(("audio/", "video/"))
