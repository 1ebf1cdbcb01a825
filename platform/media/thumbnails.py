"""Small JPEG previews of received images (Pillow), for the chat page and the admin."""

import warnings
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = (320, 320)
QUALITY = 80
# A small file can declare a huge canvas (a decompression bomb): refuse past this many pixels.
MAX_PIXELS = 50_000_000


class BadImage(Exception):
    """The bytes are not an image Pillow can decode; the message says why, for the agent."""


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    width: int  # of the original
    height: int


def make(data: bytes) -> Thumbnail:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise BadImage(_("The image is too large to preview."))
                image.load()  # decodes it all: a truncated or corrupt file fails here
                width, height = image.size
                preview = ImageOps.exif_transpose(image)
                preview.thumbnail(SIZE)
                out = BytesIO()
                _flatten(preview).save(out, "JPEG", quality=QUALITY, optimize=True)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadImage(_("The image is too large to preview.")) from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise BadImage(_("The file is not a valid image.")) from None
    return Thumbnail(out.getvalue(), width, height)


def _flatten(image: Image.Image) -> Image.Image:
    """JPEG has no transparency: a sticker's transparent parts become white."""
    if image.mode in ("RGB", "L"):
        return image
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", rgba.size, "white")
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat
