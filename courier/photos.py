"""Photos of damaged envelopes: checked to be real images of a sensible size before storing."""

from __future__ import annotations

import hashlib
import io

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from core.errors import N_, DomainError
from core.users import User
from courier.models import Photo

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class BadPhoto(DomainError):
    status = 422


def check_photo(data: bytes) -> tuple[str, int, int]:
    """The content type, width and height of an uploaded photo, without decoding its pixels;
    refuses what is not a JPEG, PNG or WebP image or is too large."""
    if len(data) > MAX_PHOTO_BYTES:
        raise BadPhoto(
            "photo_too_large",
            N_("The photo is larger than %(mb)s MB."),
            mb=MAX_PHOTO_BYTES // (1024 * 1024),
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadPhoto("not_an_image", N_("The file is not a photo (JPEG, PNG or WebP).")) from None
    if kind not in FORMATS:
        raise BadPhoto("not_an_image", N_("The file is not a photo (JPEG, PNG or WebP)."))
    if width * height > MAX_PIXELS:
        raise BadPhoto("photo_too_large", N_("The photo has too many pixels."))
    return FORMATS[kind], width, height


def store_photo(session: Session, data: bytes, uploaded_by: User | None) -> Photo:
    """Keep an uploaded photo once :func:`check_photo` accepts it."""
    content_type, width, height = check_photo(data)
    photo = Photo(
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        width=width,
        height=height,
        uploaded_by_id=uploaded_by.id if uploaded_by else None,
    )
    session.add(photo)
    session.flush()
    return photo
