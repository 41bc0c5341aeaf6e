"""Return photos: checked by their bytes, tied by name to the order they were uploaded for."""

from __future__ import annotations

from postpurchase.domain.errors import InvalidInput
from postpurchase.domain.media import MediaKind
from postpurchase.service_layer.returns.context import ReturnAsk
from postpurchase.service_layer.returns.ports import AbstractReturnsUnitOfWork

MAX_PHOTO_BYTES = 5 * 1024 * 1024  # a phone photo, not a raw file
MAX_PHOTOS_PER_LINE = 5


def photo_tag(order_id: str) -> str:
    """The stored photo's name: ties it to the order it was uploaded for."""
    return f"return-{order_id}"


def _check_photos(
    uow: AbstractReturnsUnitOfWork, merchant_id: str, order_id: str, ask: ReturnAsk
) -> None:
    """Each photo named must be a return photo uploaded for this order (an id from another
    order or merchant is refused as unknown)."""
    for i, a in enumerate(ask.lines):
        if len(a.photos) > MAX_PHOTOS_PER_LINE:
            raise InvalidInput(f"at most {MAX_PHOTOS_PER_LINE} photos", field=f"lines[{i}].photos")
        for media_id in a.photos:
            found = uow.media.get(merchant_id, media_id[:64])
            if (
                found is None
                or found.ref.kind is not MediaKind.RETURN_PHOTO
                or found.ref.filename != photo_tag(order_id)
            ):
                raise InvalidInput("no such photo for this order", field=f"lines[{i}].photos")
