from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tests.factories import T0
from tests.fakes import FakeClock
from tests.integration.kpis.shop import Shop, make_shop


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + timedelta(days=20))


@pytest.fixture
def shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    yield from make_shop(engine, clock)


@pytest.fixture
def other_shop(engine: Any, clock: FakeClock) -> Iterator[Shop]:
    yield from make_shop(engine, clock)
