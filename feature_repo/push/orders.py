"""Pushed orders, parsed and checked one by one: a bad order becomes a rejection naming its field
and location, and the others proceed.

Orders are the tutorial's transaction rows (``raw_format.TRANSACTION_COLUMNS``), given as JSON
lines, CSV with the tutorial's header, or JSON objects. ``transaction_date`` is ISO-8601; a naive
time is UTC. An order more than ``FUTURE_TOLERANCE`` after the push instant, or before 1970, is
refused; money outside [0, 100000] (``raw_format.MONEY_MAX``) too.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from feature_repo.core import raw_format as tf
from feature_repo.core.timestamps import utc, utc_datetime
from feature_repo.push.results import OrderResult, OrderStatus

FUTURE_TOLERANCE = timedelta(minutes=5)
COLUMNS = frozenset(tf.TRANSACTION_COLUMNS)
EARLIEST = pd.Timestamp("1970-01-01", tz=UTC)  # instants are kept as Unix time from here on
# the usual ISO-8601 forms, which the standard library parses as pandas does, in a third of the time
ISO_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)


@dataclass(frozen=True)
class PushedOrder:
    """One checked order: the tutorial's columns, typed (``transaction_date`` aware UTC)."""

    index: int
    location: str
    transaction_id: int
    user_id: int
    amount: float
    shipping_costs: float
    discount_coupon: int
    discount_coupon_amount: int
    payment_method: str
    transaction_date: pd.Timestamp
    delivery_type: str


class OrderProblem(ValueError):
    """One field of one order is bad."""


def records_from_text(text: str) -> tuple[list[dict[str, Any] | str], str]:
    """Records of a JSON-lines or CSV document, and how lines are counted ("line" numbers).

    A record that is not a JSON object is kept as its text, to be rejected with its line."""
    lines = [line for line in text.splitlines()]
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("{"):
        records: list[dict[str, Any] | str] = []
        for line in lines:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                value = line
            records.append(value if isinstance(value, dict) else line)
        return records, "json"
    return list(csv.DictReader(io.StringIO(text))), "csv"


def location_of(index: int, kind: str) -> str:
    if kind == "csv":
        return f"line {index + 2}"  # the header is line 1
    if kind == "json":
        return f"line {index + 1}"
    return f"order {index}"


def checked_orders(
    records: Iterable[Mapping[str, Any] | str], kind: str, now: datetime
) -> tuple[list[PushedOrder], list[OrderResult]]:
    """The good orders, and a rejection for each bad one (field and location named)."""
    good, rejected = [], []
    latest = pd.Timestamp(now) + FUTURE_TOLERANCE  # once for the batch
    for index, record in enumerate(records):
        location = location_of(index, kind)
        try:
            good.append(_checked(record, index, location, now, latest))
        except OrderProblem as problem:
            ids = record if isinstance(record, Mapping) else {}
            rejected.append(
                OrderResult(
                    index, location, _int_or_none(ids.get("transaction_id")),
                    _int_or_none(ids.get("user_id")), OrderStatus.REJECTED, str(problem),
                )
            )  # fmt: skip
    return good, rejected


def _checked(
    record: Mapping[str, Any] | str, index: int, location: str, now: datetime, latest: pd.Timestamp
) -> PushedOrder:
    values = _plain_values(record) or _typed_values(record)
    for column in tf.MONEY_COLUMNS:
        if not 0 <= values[column] <= tf.MONEY_MAX:
            raise OrderProblem(f"{column}: {record[column]!r} is outside [0, {tf.MONEY_MAX}]")
    if values["discount_coupon"] not in (0, 1):
        raise OrderProblem(f"discount_coupon: {record['discount_coupon']!r} must be 0 or 1")
    if values["transaction_date"] < EARLIEST:
        raise OrderProblem(f"transaction_date: {record['transaction_date']!r} is before 1970-01-01")
    if values["transaction_date"] > latest:
        raise OrderProblem(
            f"transaction_date: {record['transaction_date']!r} is more than "
            f"{FUTURE_TOLERANCE.seconds // 60} minutes after now ({now:%Y-%m-%d %H:%M:%S} UTC)"
        )
    return PushedOrder(index=index, location=location, **values)


def _typed_values(record: Mapping[str, Any] | str) -> dict[str, Any]:
    """The record's typed values; the first problem found raised, naming its field."""
    if not isinstance(record, Mapping):
        raise OrderProblem(f"not a JSON object with the tutorial's columns: {str(record)[:60]!r}")
    missing = [c for c in tf.TRANSACTION_COLUMNS if _blank(record.get(c))]
    if missing:
        raise OrderProblem(f"missing field(s) {missing}")
    extra = sorted(set(record) - COLUMNS)
    if extra:
        raise OrderProblem(f"unexpected field(s) {extra}; expected {list(tf.TRANSACTION_COLUMNS)}")
    return {column: _typed(column, kind, record[column]) for column, kind in tf.TRANSACTION_COLUMNS.items()}  # fmt: skip


def _plain_values(record: Mapping[str, Any] | str) -> dict[str, Any] | None:
    """``_typed_values`` of a record whose every field already has its plain Python type (an int,
    a finite float, a non-blank string: a replayed order, most JSON ones), without converting
    them; ``None`` for any other record, which ``_typed_values`` then checks (a push checks
    ~10,000 orders a second; ``tests/test_push_fuzz.py`` compares both)."""
    if type(record) is not dict or len(record) != len(COLUMNS) or record.keys() != COLUMNS:
        return None
    low, high = tf.INT64_RANGE
    values = {}
    for column, kind in tf.TRANSACTION_COLUMNS.items():
        value = record[column]
        if kind == "int":
            if type(value) is not int or not low <= value <= high:
                return None
        elif kind == "float":
            if type(value) is not float or not math.isfinite(value):
                return None
        elif type(value) is not str or not (stripped := value.strip()):
            return None
        elif kind == "str":
            value = stripped
        values[column] = value  # a date-time as given: parsed below
    try:
        values["transaction_date"] = _typed(
            "transaction_date", "datetime", values["transaction_date"]
        )
    except OrderProblem:
        return None  # named by ``_typed_values``
    return values


def _typed(column: str, kind: str, value: Any) -> Any:
    try:
        if kind == "int":
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or not float(number).is_integer():
                raise ValueError
            if not tf.INT64_RANGE[0] <= int(number) <= tf.INT64_RANGE[1]:
                raise ValueError  # stored as int64
            return int(number)
        if kind == "float":
            number = float(value)
            if not math.isfinite(number) or isinstance(value, bool):
                raise ValueError
            return number
        if kind == "str":
            return str(value).strip()
        if not isinstance(value, str):
            raise ValueError
        return instant_of_text(value)
    except (ValueError, TypeError, OverflowError):
        expected = {
            "int": "a whole number (64-bit)",
            "float": "a number",
            "datetime": "an ISO-8601 date-time",
        }
        raise OrderProblem(f"{column}: {value!r} is not {expected.get(kind, kind)}") from None


def instant_of_text(text: str) -> pd.Timestamp:
    """An ISO-8601 date-time as an aware UTC ``Timestamp`` in microseconds (naive means UTC):
    ``ISO_INSTANT``'s forms through ``datetime.fromisoformat``, any other (or one it refuses)
    through pandas; the same instant either way (``tests/test_order_instants.py``). Raises
    ``ValueError`` (or ``OverflowError``) for a text that is not one."""
    if ISO_INSTANT.fullmatch(text):
        try:
            return pd.Timestamp(utc_datetime(datetime.fromisoformat(text)))
        except (ValueError, OverflowError):
            pass  # pandas decides, and names what is wrong
    return pandas_instant(text)


def pandas_instant(text: str) -> pd.Timestamp:
    """``instant_of_text`` through pandas alone."""
    return utc(text).as_unit("us")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
