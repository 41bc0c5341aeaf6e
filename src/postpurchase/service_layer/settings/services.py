"""Reading and changing a merchant's settings through the one schema.

* :func:`read_settings` reads a stored document *leniently*: a value that no longer passes
  (written by an older version, or straight into the database) is dropped and its default
  applies, so a typo can never take a tracking page or a message down.
* :func:`update_settings` applies a JSON Merge Patch *strictly*: the whole merged document
  must pass, unknown keys and wrong types included (:class:`SettingsInvalid` names every
  dotted path), and the change is audited in the same transaction.

The merchant's default locale is the ``merchants.locale`` column (what every page and
message already falls back to); the schema shows it as ``tracking_page.default_locale``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from postpurchase.domain.errors import InvalidInput, NotFound
from postpurchase.domain.media import MediaKind, StoredMedia, sniff_image
from postpurchase.domain.settings import drop_path, merge_patch, upgrade_layout
from postpurchase.locale import strings as catalogue_strings
from postpurchase.service_layer.audit import record_change
from postpurchase.service_layer.settings.schema import LOCALES, MerchantSettings
from postpurchase.service_layer.unit_of_work import AbstractUnitOfWork

UrlCheck = Callable[[str, str], None]
_LOCALES = frozenset(tag.lower() for tag in LOCALES)
_MAX_DROPS = 200


class SettingsInvalid(InvalidInput):
    """A settings document that does not pass; ``errors`` lists every problem."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        first = errors[0]
        super().__init__(f"{first['field']}: {first['message']}", field=first["field"])
        self.errors = errors


def dotted(loc: tuple[int | str, ...]) -> str:
    """``("tracking_page", "faq", 2, "answer")`` as ``tracking_page.faq[2].answer``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for e in exc.errors(include_url=False):
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "unknown setting"
        out.append({"field": dotted(tuple(e["loc"])), "message": message})
    return out


def validate_document(
    doc: Mapping[str, Any], *, touched: frozenset[str] = frozenset()
) -> MerchantSettings:
    """The document as settings, or :class:`SettingsInvalid`. ``touched`` (brand keys
    being written) switches the contrast checks on for those colours."""
    if not isinstance(doc, Mapping):
        raise SettingsInvalid([{"field": "body", "message": "settings must be a JSON object"}])
    try:
        return MerchantSettings.model_validate(doc, context={"writing": touched})
    except ValidationError as exc:
        raise SettingsInvalid(_errors(exc)) from None
    except SettingsInvalid:
        raise
    except InvalidInput as exc:  # a rule over several values (contrast), named by its field
        raise SettingsInvalid([{"field": exc.field or "body", "message": exc.message}]) from None


def unknown_keys(
    patch: Mapping[str, Any], model: type[BaseModel] = MerchantSettings, prefix: str = ""
) -> list[dict[str, str]]:
    """Keys of a patch the schema does not have, ``null`` ones included: a ``null`` would
    otherwise remove nothing and pass in silence."""
    out: list[dict[str, str]] = []
    for key, value in patch.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        field = model.model_fields.get(key) if isinstance(key, str) else None
        if field is None:
            out.append({"field": path, "message": "unknown setting"})
            continue
        inner = _model_in(field.annotation)
        if inner is not None and isinstance(value, Mapping):
            out.extend(unknown_keys(value, inner, path))
        elif key == "strings" and not prefix and isinstance(value, Mapping):
            out.extend(_unknown_strings(value))
    return out


def _unknown_strings(patch: Mapping[str, Any]) -> list[dict[str, str]]:
    """Locales and keys of a ``strings`` patch that do not exist, ``null`` ones included."""
    english = catalogue_strings("web", "en")
    out = []
    for locale, table in patch.items():
        if not isinstance(locale, str) or locale.replace("_", "-").lower() not in _LOCALES:
            out.append({"field": f"strings.{locale}", "message": "not a supported locale"})
        elif isinstance(table, Mapping):
            out.extend(
                {"field": f"strings.{locale}.{key}", "message": "not a catalogue key"}
                for key in table
                if key not in english
            )
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The settings object a field holds (through ``X | None`` and ``Annotated``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def read_settings(raw: Mapping[str, Any] | None) -> MerchantSettings:
    """A stored document as settings, dropping whatever does not pass (see module doc)."""
    doc = upgrade_layout(raw if isinstance(raw, Mapping) else None)
    for _ in range(_MAX_DROPS):
        try:
            return MerchantSettings.model_validate(doc)
        except ValidationError as exc:
            # deepest and highest list index first, so earlier drops do not shift later ones
            locs = sorted((tuple(e["loc"]) for e in exc.errors()), key=_order, reverse=True)
            dropped = [drop_path(doc, loc) for loc in locs]
            if not any(dropped):
                break
    return MerchantSettings()


def _order(loc: tuple[int | str, ...]) -> tuple[int, tuple[str, ...]]:
    return len(loc), tuple(f"{p:08d}" if isinstance(p, int) else p for p in loc)


def _touched_brand(patch: Mapping[str, Any]) -> frozenset[str]:
    brand = patch.get("branding")
    return frozenset(brand) if isinstance(brand, Mapping) else frozenset()


def _with_locale(settings: MerchantSettings, locale: str) -> MerchantSettings:
    page = settings.tracking_page.model_copy(update={"default_locale": locale})
    return settings.model_copy(update={"tracking_page": page})


def get_settings(uow: AbstractUnitOfWork, merchant_id: str) -> MerchantSettings:
    """The merchant's settings as the schema shows them (unset values None)."""
    with uow:
        merchant = uow.merchants.get(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        return _with_locale(read_settings(merchant.settings), merchant.locale)


def check_urls(patch: Mapping[str, Any], check_url: UrlCheck | None) -> None:
    """Outbound URLs in the patch checked (names resolved) before any transaction opens."""
    section = patch.get("notifications")
    urls = section.get("ops_urls") if isinstance(section, Mapping) else None
    if check_url is None or not isinstance(urls, list):
        return
    for i, url in enumerate(urls):
        if isinstance(url, str):
            check_url(url, f"notifications.ops_urls[{i}]")


def update_settings(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    patch: Mapping[str, Any],
    actor: str,
    *,
    check_url: UrlCheck | None = None,
) -> MerchantSettings:
    """Apply ``patch`` (RFC 7396: ``null`` resets a key to its default) all or nothing.

    ``actor`` is who asked (``api:<key prefix>``, ``user:<email>``, ``cli``), recorded in
    the audit log with every changed dotted key, old and new.
    """
    if not isinstance(patch, Mapping):
        raise SettingsInvalid([{"field": "body", "message": "settings must be a JSON object"}])
    unknown = unknown_keys(patch)
    if unknown:
        raise SettingsInvalid(unknown)
    check_urls(patch, check_url)  # may resolve host names: outside the transaction
    with uow:
        merchant = uow.merchants.get(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        before = read_settings(merchant.settings)
        before_doc = {**before.stored(), "locale": merchant.locale}
        merged = merge_patch(before.stored(), patch)
        settings = validate_document(merged, touched=_touched_brand(patch))
        locale = settings.tracking_page.default_locale or merchant.locale
        settings = _with_locale(settings, locale)
        stored = settings.model_copy(
            update={
                "tracking_page": settings.tracking_page.model_copy(update={"default_locale": None})
            }
        ).stored()
        merchant.settings = {**_kept(merchant.settings), **stored}
        merchant.locale = locale
        uow.merchants.update(merchant)
        record_change(
            uow, merchant_id, actor=actor, action="settings.update", subject="settings",
            before=before_doc, after={**stored, "locale": locale},
        )  # fmt: skip
        uow.commit()
        return settings


def _kept(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Stored keys outside the schema's sections (none today) are left as they are."""
    sections = set(MerchantSettings.model_fields) | {"support", "returns_url", "returns"}
    return {k: v for k, v in raw.items() if k not in sections}


def upload_logo(
    uow: AbstractUnitOfWork,
    merchant_id: str,
    data: bytes,
    actor: str,
    *,
    max_bytes: int,
    filename: str | None = None,
) -> MerchantSettings:
    """Store an uploaded logo in the media store (every process sees it) and make it the
    brand's logo; the previous upload is deleted. Not an image, or over ``max_bytes``: an
    :class:`InvalidInput` naming ``file``."""
    content_type = sniff_image(data, max_bytes, field="file")
    with uow:
        merchant = uow.merchants.get(merchant_id)
        if merchant is None:
            raise NotFound("no such merchant", field="merchant")
        before = read_settings(merchant.settings)
        ref = uow.media.put(merchant_id, MediaKind.LOGO, content_type, data, filename)
        old = before.branding.logo_media_id
        brand = before.branding.model_copy(update={"logo_media_id": ref.id})
        after = before.model_copy(update={"branding": brand})
        # model_copy leaves the field unset for stored(): set it as if given
        after.branding.model_fields_set.add("logo_media_id")
        merchant.settings = {**_kept(merchant.settings), **after.stored()}
        uow.merchants.update(merchant)
        if old and old != ref.id:
            uow.media.delete(merchant_id, old)
        record_change(
            uow, merchant_id, actor=actor, action="settings.logo", subject="settings",
            before={"branding": {"logo_media_id": old}},
            after={"branding": {"logo_media_id": ref.id, "logo_sha256": ref.sha256}},
        )  # fmt: skip
        uow.commit()
        return _with_locale(after, merchant.locale)


def logo(uow: AbstractUnitOfWork, merchant_id: str, media_id: str) -> StoredMedia | None:
    """An uploaded logo (public: it is on every tracking page and message)."""
    with uow:
        found = uow.media.get(merchant_id, media_id)
    if found is None or found.ref.kind != MediaKind.LOGO:
        return None
    return found
