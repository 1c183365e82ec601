"""A pushed order's ``transaction_date`` parsed by the standard library where it can
(``orders.instant_of_text``) is the instant pandas gives (``orders.pandas_instant``): the same UTC
microsecond, for texts written every way the fast path takes (``T`` or a space, 0 to 6 fraction
digits, no zone, ``Z`` or an offset) and for texts it leaves to pandas (7 to 9 fraction digits,
offsets without a colon, dates alone, slashes). A text neither can read raises ``ValueError``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.push.orders import ISO_INSTANT, instant_of_text, pandas_instant


@st.composite
def written_instants(draw) -> tuple[str, datetime]:
    """A text of an instant, and the instant computed from its parts (UTC)."""
    local = draw(st.datetimes(datetime(1900, 1, 2), datetime(2200, 12, 30)))
    digits = draw(st.integers(0, 9))
    fraction = draw(st.integers(0, 10**digits - 1)) if digits else 0
    zone = draw(st.sampled_from(["", "Z", "offset", "offset-no-colon"]))
    offset = draw(st.integers(-(23 * 60 + 59), 23 * 60 + 59)) if zone.startswith("offset") else 0
    separator = draw(st.sampled_from(["T", " "]))
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if digits:
        text += "." + str(fraction).zfill(digits)
    sign, minutes = ("+" if offset >= 0 else "-"), abs(offset)
    if zone == "Z":
        text += "Z"
    elif zone == "offset":
        text += f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    elif zone == "offset-no-colon":
        text += f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    micros = fraction * 10 ** (6 - digits) if digits <= 6 else fraction // 10 ** (digits - 6)
    instant = local.replace(microsecond=micros, tzinfo=UTC) - timedelta(minutes=offset)
    return text, instant


@settings(max_examples=400, deadline=None)
@given(written_instants())
def test_both_parsers_give_the_instant_of_the_parts(written: tuple[str, datetime]) -> None:
    text, instant = written
    fast, pandas = instant_of_text(text), pandas_instant(text)
    assert fast == pandas == pd.Timestamp(instant)
    assert fast.value == pandas.value  # the same nanoseconds since the epoch
    assert fast.unit == pandas.unit == "us"
    assert str(fast.tzinfo) == str(pandas.tzinfo) == "UTC"


@pytest.mark.parametrize(
    ("text", "fast_path"),
    [
        ("2020-10-01T12:34:56", True),
        ("2020-10-01 12:34:56.5+05:30", True),
        ("2020-10-01T12:34:56.123456789Z", False),  # more digits than microseconds
        ("2020-10-01T12:34:56+0530", False),
        ("2020-10-01", False),
        ("2020/10/01 12:34", False),
        ("２０２０-10-01T12:34:56", False),  # full-width digits are not ISO-8601's
    ],
)
def test_which_texts_take_the_fast_path(text: str, fast_path: bool) -> None:
    assert bool(ISO_INSTANT.fullmatch(text)) is fast_path


def test_an_instant_the_standard_library_cannot_hold_is_left_to_pandas() -> None:
    """Midnight of year 1 at +05:00 is before year 1 in UTC: ``datetime`` overflows, pandas
    gives the instant (which the checks then refuse as before 1970)."""
    text = "0001-01-01T00:00:00+05:00"
    assert ISO_INSTANT.fullmatch(text)
    expected = np.datetime64("0001-01-01T00:00:00", "us") - np.timedelta64(5, "h")
    assert instant_of_text(text).asm8 == pandas_instant(text).asm8 == expected


@pytest.mark.parametrize("text", ["2020-02-30T00:00:00", "2020-10-01T25:00:00", "not a date"])
def test_what_neither_reads_raises_a_value_error(text: str) -> None:
    """Matching the fast path's form is not enough (no 30 February, no hour 25): pandas then
    decides, and refuses as it did."""
    with pytest.raises((ValueError, OverflowError)):
        pandas_instant(text)
    with pytest.raises((ValueError, OverflowError)):
        instant_of_text(text)
