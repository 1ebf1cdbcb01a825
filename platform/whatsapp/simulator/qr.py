"""QR codes shaped like Baileys' (``2@ref,noiseKey,identityKey,advSecret``) as real PNGs."""

import base64
import secrets
import string

import segno


def _b64(size: int) -> str:
    return base64.b64encode(secrets.token_bytes(size)).decode()


def new_qr(count: int, pairing_number: str | None) -> dict:
    code = "2@" + ",".join([_b64(60), _b64(32), _b64(32), _b64(32)])
    pairing = None
    if pairing_number:
        pairing = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(8))
    return {
        "pairingCode": pairing,
        "code": code,
        "base64": segno.make(code, error="l").png_data_uri(scale=4),
        "count": count,
    }
