"""The API against its own OpenAPI: Schemathesis, all checks and all phases (examples,
coverage, fuzzing, stateful), on a bounded budget, in process, on each backend.

Every answer must be one the document declares (status, content type, schema, ``Allow`` on
a 405), schema-valid input must be accepted and schema-invalid input refused. Before this
test the same run found 57 failures (undocumented 4xx, problem documents declared as
application/json, 405 without ``Allow``, epoch numbers taken as dates, ``""`` refused as an
amount the schema allowed).

A few operations refuse well-formed input for reasons a schema cannot say (an email that is
no address, a URL that is not http(s)); they are listed in ``KNOWN`` with the check they
fail and why, so that everything else fails this test the moment it regresses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from sqlalchemy import Engine

from postpurchase.adapters.db.read_models import encode_cursor
from postpurchase.bootstrap import bootstrap
from postpurchase.config import Settings
from postpurchase.domain.ids import new_id
from postpurchase.entrypoints.api.app import create_app
from postpurchase.service_layer.handlers import create_merchant
from tests.factories import ref
from tests.fakes import FakeClock

MAX_EXAMPLES = int(os.environ.get("POSTPURCHASE_SCHEMATHESIS_EXAMPLES", "8"))

# (operation, check, the problem's field) -> why it fails, and where the fix belongs. Each
# is a rule a route checks beyond its schema; the schema cannot say it, or a file this
# suite does not own has yet to. Anything else failing fails the test.
OPAQUE_CURSOR = "cursor: opaque, only the ones the API issued decode (a schema cannot say)"
RETURN_LINES = (
    "the order's lines as the policy sees them: a quantity delivered and not in another "
    "return, a leaf of the merchant's reason tree, inside the window (domain/returns)"
)
RETURN_METHODS = "each return method once; uniqueItems compares whole items, not one key"
RETURN_CHOICES = (
    "a method the merchant's policy offers, a variant of the returned item's product from "
    "the synced catalogue (domain/returns)"
)
KPI_PERIOD = (
    "since not after until, at most 366 days apart: a schema cannot relate two parameters "
    "(routes/kpi_export.py)"
)
KNOWN: dict[tuple[str, str, str | None], str] = {
    ("PATCH /api/v1/settings", "negative_data_rejection", None): (
        "a JSON Merge Patch (RFC 7396): null at any depth removes the key, so that setting "
        "returns to its default; the sections' schemas describe the stored document, where "
        "null is not a value (tests/integration/settings checks wrong types are refused)"
    ),
    ("GET /api/v1/orders", "positive_data_acceptance", "cursor"): OPAQUE_CURSOR,
    ("GET /api/v1/notifications/messages", "positive_data_acceptance", "cursor"): OPAQUE_CURSOR,
    (
        "GET /api/v1/webhook-endpoints/{endpoint_id}/deliveries",
        "positive_data_acceptance",
        "cursor",
    ): OPAQUE_CURSOR,
    ("POST /api/v1/notifications/opt-outs", "positive_data_acceptance", "address"): (
        "an email or an E.164 number depending on the channel (routes/notifications.py)"
    ),
    ("DELETE /api/v1/notifications/opt-outs", "positive_data_acceptance", "address"): (
        "an email or an E.164 number depending on the channel (routes/notifications.py)"
    ),
    ("POST /api/v1/webhook-endpoints", "positive_data_acceptance", "url"): (
        "must be a public http(s) URL; the schema says any string (routes/notifications.py)"
    ),
    ("PATCH /api/v1/webhook-endpoints/{endpoint_id}", "positive_data_acceptance", "url"): (
        "must be a public http(s) URL; the schema says any string (routes/notifications.py)"
    ),
    ("POST /api/v1/orders", "positive_data_acceptance", "subtotal"): (
        "the order's money must add up: discounts over the lines' total are refused"
    ),
    ("POST /api/v1/orders", "positive_data_acceptance", "total"): (
        "the order's money must add up: a stated total below what was refunded or paid"
    ),
    ("POST /api/v1/integrations/woocommerce", "positive_data_acceptance", "url"): (
        "must be a WooCommerce store that answers with the key (integrations_woocommerce.py)"
    ),
    ("GET /api/v1/estimates/checkout", "positive_data_acceptance", "*"): (
        "checked beyond the schema: an assigned ISO country, the country's postal format, a "
        "shipping method that says how fast, SKU:qty carts, a CLDR locale, an IANA zone, the "
        "merchant's key (routes/checkout.py; every refusal names its field)"
    ),
    ("PATCH /api/v1/merchant/checkout-settings", "positive_data_acceptance", "*"): (
        "checked beyond the schema: https storefront origins, an IANA zone, an assigned ISO "
        "country and its postal format (domain/checkout/settings.py)"
    ),
    ("PATCH /api/v1/settings", "positive_data_acceptance", "*"): (
        "checked beyond the schema: https URLs, email addresses, host names, origins, HH:MM "
        "times, text colour against the background (WCAG contrast), a postal code's format "
        "(service_layer/settings/schema.py; every refusal names its dotted path)"
    ),
    ("POST /api/v1/settings/logo", "positive_data_acceptance", "file"): (
        "a PNG, JPEG, WebP or GIF recognised by its bytes (domain/media.py: sniff_image)"
    ),
    ("POST /api/v1/templates/{flow}/{channel}/versions", "positive_data_acceptance", "locales"): (
        "the parts a channel takes (sms: text; email: subject and text) and Jinja that renders "
        "on sample data (domain/templates, adapters/notifications/custom_templates.py)"
    ),
    ("POST /api/v1/templates/{flow}/{channel}/preview", "positive_data_acceptance", "*"): (
        "a draft has the parts its channel takes and renders on sample data; a version that "
        "exists (service_layer/templates)"
    ),
    ("POST /api/v1/templates/{flow}/{channel}/test", "positive_data_acceptance", "*"): (
        "an email address for email, an E.164 number for SMS, a configured channel, and a "
        "draft or version as for preview (service_layer/templates/testing.py)"
    ),
    ("PUT /api/v1/templates/{flow}/{channel}/split", "positive_data_acceptance", "variants"): (
        "each variant a version this flow and channel has (0: built-in)"
    ),
    ("PUT /api/v1/notifications/settings", "positive_data_acceptance", "*"): (
        "deprecated: its two sections are free-form objects in the schema but go through "
        "the settings schema (PATCH /api/v1/settings documents every key)"
    ),
    ("POST /api/v1/orders", "positive_data_acceptance", "placed_at"): (
        "an instant within 1970-2100 (domain/timestamps.py); JSON Schema has no date range"
    ),
    ("POST /api/v1/returns/{return_id}/inspect", "positive_data_acceptance", "lines"): (
        "each line of the return once, by order_line_id; uniqueItems compares whole items, "
        "not one key (routes/returns.py)"
    ),
    ("PUT /api/v1/returns/store-reasons", "positive_data_acceptance", "mapping"): (
        "each code one of the active policy's reasons and each definition one the store "
        "listed: data of the merchant and the store, not schema (routes/returns_store.py)"
    ),
    ("POST /api/v1/labels", "positive_data_acceptance", "*"): (
        "checked before a carrier is asked: the order's address and the origin by our address "
        "rules, the carrier's parcel limits, customs data across a customs border, carriers "
        "with label-less drop-off (domain/labels, domain/carriers/address_rules.py)"
    ),
    ("POST /api/v1/carriers/pickups", "positive_data_acceptance", "*"): (
        "closes_at after ready_at (domain/carriers/model.py); JSON Schema cannot compare fields"
    ),
    ("PUT /api/v1/returns/policy", "positive_data_acceptance", "reasons"): (
        "reason codes unique across the whole tree, children included (domain/returns/policy.py)"
    ),
    ("PUT /api/v1/returns/policy", "positive_data_acceptance", "methods"): RETURN_METHODS,
    ("POST /api/v1/returns/policy/simulate", "positive_data_acceptance", "methods"): (
        RETURN_METHODS
    ),
    ("POST /api/v1/returns/policy/simulate", "positive_data_acceptance", "reasons"): (
        "reason codes unique across the whole tree, children included (domain/returns/policy.py)"
    ),
    ("GET /api/v1/returns/analytics", "positive_data_acceptance", "created_from"): (
        "created_from before created_to: a relation between two parameters (returns_insights)"
    ),
    ("POST /api/v1/orders/{order_id}/returns/photos", "positive_data_acceptance", "photo"): (
        "a PNG, JPEG, WebP or GIF by its magic bytes (domain/media.sniff_image); a binary "
        "schema cannot say which bytes"
    ),
    ("POST /api/v1/orders/{order_id}/returns", "positive_data_acceptance", "exchange"): (
        RETURN_CHOICES
    ),
    ("POST /api/v1/orders/{order_id}/returns", "positive_data_acceptance", "method"): (
        RETURN_CHOICES
    ),
    ("POST /api/v1/orders/{order_id}/returns/quote", "positive_data_acceptance", "exchange"): (
        RETURN_CHOICES
    ),
    ("POST /api/v1/orders/{order_id}/returns", "positive_data_acceptance", "lines"): RETURN_LINES,
    ("POST /api/v1/orders/{order_id}/returns", "positive_data_acceptance", "gift_email"): (
        "a recipient only with gift: true, an email address (routes/returns.py): a relation "
        "between two fields, which the schema cannot say"
    ),
    ("GET /api/v1/kpis/recommendations", "positive_data_acceptance", "since"): KPI_PERIOD,
    ("GET /api/v1/kpis/remedies", "positive_data_acceptance", "since"): KPI_PERIOD,
    (
        "POST /api/v1/orders/{order_id}/returns/quote",
        "positive_data_acceptance",
        "lines",
    ): RETURN_LINES,
}
DATE_RANGE = (
    "'to' on or after 'from', at most 731 days apart (domain/kpis/query.py): a relation "
    "between two parameters, which a schema cannot say"
)
for _path in [
    *(f"/api/v1/kpis/{name}" for name in ("delivery", "carriers", "repeat-purchase",
                                          "contacts", "csat", "returns", "promises",
                                          "messages")),
    "/api/v1/kpis/{name}.csv", "/api/v1/kpis/{name}.svg", "/api/v1/support/contacts",
    "/api/v1/support/contacts.csv", "/api/v1/survey/answers", "/api/v1/survey/answers.csv",
]:  # fmt: skip
    KNOWN[(f"GET {_path}", "positive_data_acceptance", "to")] = DATE_RANGE
KNOWN[("POST /api/v1/support/contacts", "positive_data_acceptance", "contacted_at")] = (
    "not in the future (service_layer/support.py): a schema cannot say 'now'"
)
KNOWN[("POST /api/v1/support/contacts", "positive_data_acceptance", "order_id")] = (
    "an order of this merchant (service_layer/support.py); a well-formed id may name none"
)
for _path in ("/api/v1/survey/answers", "/api/v1/survey/answers.csv"):
    KNOWN[(f"GET {_path}", "positive_data_acceptance", "min_score")] = (
        "min_score at most max_score (routes/survey.py): a relation between two parameters"
    )


@pytest.fixture
def app_and_key(engine: Engine) -> Iterator[tuple[Any, str]]:
    # Fuzzed carrier accounts are tested and quoted against carriers' real hosts, which this
    # box cannot reach: a short call timeout keeps each of those refusals quick.
    settings = Settings(carrier_timeout_seconds=1)
    platform = bootstrap(settings, engine=engine, clock=FakeClock(), notifications=False)
    _, key, _ = create_merchant(platform.uow(), platform.clock, "Fuzzed " + ref())
    yield create_app(platform), key


def run(app: Any, key: str) -> list[tuple[str, str, str | None, str]]:
    # Cursors are opaque: the positive cases draw from ones the API could have issued (a
    # made-up one is refused, which tests/integration/hardening/test_hostile_input.py pins).
    cursors = [encode_cursor(datetime(2026, 1, d, tzinfo=UTC), new_id()) for d in (1, 2, 3)]
    config = SchemathesisConfig.from_dict(
        {
            "seed": int(os.environ.get("POSTPURCHASE_SCHEMATHESIS_SEED", "20260101")),
            "headers": {"Authorization": f"Bearer {key}"},
            "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
            "checks": {"enabled": True},
            "suppress-health-check": ["all"],
            "dictionaries": {"order_cursors": {"values": cursors}},
            "operations": [
                {
                    "include-path": "/api/v1/orders",
                    "include-method": "GET",
                    "parameters": {"query.cursor": {"dictionary": "order_cursors"}},
                }
            ],
        }
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    found: list[tuple[str, str, str | None, str]] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise AssertionError(f"schemathesis could not run: {event}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.status != Status.FAILURE or check.failure_info is None:
                    continue
                failure = check.failure_info.failure
                operation = failure.operation or recorder.label
                interaction = recorder.interactions.get(case_id)
                answer = (
                    interaction.response.content if interaction and interaction.response else b""
                )
                detail = (
                    f"{failure.title}: {failure.message}\nanswer: {answer[:800]!r}\n"
                    f"{check.failure_info.code_sample[:3000]}"
                )
                found.append((operation, check.name, _field(answer), detail))
    return found


def _field(answer: bytes) -> str | None:
    try:
        document = json.loads(answer)
    except ValueError:
        return None
    field = document.get("field") if isinstance(document, dict) else None
    return str(field).split(".")[0].split("[")[0] if field else None


def test_the_api_conforms_to_its_openapi(app_and_key: tuple[Any, str]) -> None:
    app, key = app_and_key
    unexpected: dict[tuple[str, str, str | None], str] = {}
    for operation, check, field, detail in run(app, key):
        if (operation, check, field) not in KNOWN and (operation, check, "*") not in KNOWN:
            unexpected.setdefault((operation, check, field), detail)
    report = "\n\n".join(f"{k[0]} [{k[1]}]\n{detail}" for k, detail in unexpected.items())
    assert not unexpected, f"{len(unexpected)} conformance failures:\n\n{report}"
