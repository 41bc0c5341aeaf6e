"""Reading Olist-format directories: gzip or plain, optional files, broken rows."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from postpurchase.adapters.edd.olist import OlistInputError, load_olist
from postpurchase.adapters.edd.records import DeliveredShipmentRecord


def copy_plain(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name.removesuffix(".gz")).write_bytes(gzip.decompress(f.read_bytes()))
    return dst


def test_gzip_and_plain_directories_read_the_same(olist_dir: Path, tmp_path: Path) -> None:
    a = load_olist(olist_dir)
    b = load_olist(copy_plain(olist_dir, tmp_path / "plain"))
    assert len(a.records) == len(b.records) > 2000
    assert a.records[10] == b.records[10]
    r = a.records[10]
    assert r.ordered_at.tzinfo is not None and r.origin_region and r.weight_grams
    assert r.quoted_promise is not None
    assert a.report.skipped_total == 0


def test_optional_files_may_be_missing(olist_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "min"
    d.mkdir()
    for stem in ("olist_orders_dataset", "olist_customers_dataset"):
        shutil.copy(olist_dir / f"{stem}.csv.gz", d)
    data = load_olist(d)
    assert len(data.records) > 2000
    assert data.records[0].origin_region is None and data.records[0].weight_grams is None
    assert "olist_order_items_dataset" in data.report.missing_files


def test_required_file_or_column_missing_is_an_input_error(olist_dir: Path, tmp_path: Path) -> None:
    d = tmp_path / "nocust"
    d.mkdir()
    shutil.copy(olist_dir / "olist_orders_dataset.csv.gz", d)
    with pytest.raises(OlistInputError, match="customers"):
        load_olist(d)
    (d / "olist_customers_dataset.csv").write_text("customer_id,customer_state\nx,SP\n")
    with pytest.raises(OlistInputError, match="customer_zip_code_prefix"):
        load_olist(d)
    with pytest.raises(OlistInputError):
        load_olist(tmp_path / "does-not-exist")


def test_broken_rows_are_reported_and_skipped(olist_dir: Path, tmp_path: Path) -> None:
    d = copy_plain(olist_dir, tmp_path / "broken")
    orders = d / "olist_orders_dataset.csv"
    lines = orders.read_text().splitlines()
    header, first, second, third, fourth = lines[:5]
    bad_time = first.split(",")
    bad_time[3] = "not-a-date"
    early = second.split(",")
    early[6] = "2001-01-01 00:00:00"  # delivered before purchase
    rows = [header, ",".join(bad_time), ",".join(early), "only,three,columns", third, fourth]
    orders.write_text("\n".join(rows + lines[5:]) + "\n")
    items = d / "olist_order_items_dataset.csv"
    items.write_text(items.read_text() + '"unterminated,quote\n')
    data = load_olist(d)
    assert data.report.skipped_total >= 3
    summary = data.report.summary()
    assert "unreadable timestamp" in summary and "delivered before purchase" in summary
    assert "wrong number of columns" in summary
    assert any("line" in e for e in data.report.examples)
    assert len(data.records) == len(load_olist(olist_dir).records) - 2


def test_records_refuse_naive_times() -> None:
    from datetime import datetime

    with pytest.raises(ValueError):
        DeliveredShipmentRecord("x", datetime(2018, 1, 1), datetime(2018, 1, 2), "BR")


def test_geolocation_file_gives_postal_centroids(olist_dir: Path, tmp_path: Path) -> None:
    from postpurchase.domain.edd.geo import Precision, locate

    d = tmp_path / "geo"
    shutil.copytree(olist_dir, d)
    (d / "olist_geolocation_dataset.csv").write_text(
        "geolocation_zip_code_prefix,geolocation_lat,geolocation_lng,geolocation_city,geolocation_state\n"
        "13023,-22.90,-47.06,campinas,SP\n"
        "13023,-22.92,-47.08,campinas,SP\n"
        "13023,45.0,2.0,paris,SP\n"  # outside Brazil: a known data error, ignored
        "20231,bad,-43.1,rio,RJ\n"
    )
    data = load_olist(d)
    assert data.centroids is not None
    point = locate("BR", "13023-000", "SP", data.centroids)
    assert point is not None and point.precision is Precision.POSTAL
    assert abs(point.lat + 22.91) < 1e-9
    fallback = locate("BR", "20231", "RJ", data.centroids)
    assert fallback is not None and fallback.precision is Precision.REGION
