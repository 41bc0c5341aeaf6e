"""Postal addresses, as much of them as delivery-date estimation and messaging need."""

from __future__ import annotations

from dataclasses import dataclass

from postpurchase.domain.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Address:
    country: str  # ISO 3166-1 alpha-2
    postal_code: str | None = None
    region: str | None = None  # state / province code
    city: str | None = None
    line1: str | None = None
    line2: str | None = None
    name: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        code = (self.country or "").strip().upper()
        if len(code) != 2 or not code.isalpha() or not code.isascii():
            raise InvalidInput(f"{self.country!r} is not an ISO 3166 country code", field="country")
        object.__setattr__(self, "country", code)
        if self.postal_code is not None:
            object.__setattr__(self, "postal_code", self.postal_code.strip() or None)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "country": self.country,
            "postal_code": self.postal_code,
            "region": self.region,
            "city": self.city,
            "line1": self.line1,
            "line2": self.line2,
            "name": self.name,
            "phone": self.phone,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> Address:
        return cls(
            country=data.get("country") or "",
            postal_code=data.get("postal_code"),
            region=data.get("region"),
            city=data.get("city"),
            line1=data.get("line1"),
            line2=data.get("line2"),
            name=data.get("name"),
            phone=data.get("phone"),
        )
