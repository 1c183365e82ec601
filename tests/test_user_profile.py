"""User profile rows: age changes on birthdays, rows start at registration."""

import pandas as pd

from feature_repo.transforms.user_profile import PROFILE_LOOKAHEAD, age_in_years, user_profile_table


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_age_on_the_birthday_and_the_day_before():
    born = pd.Series(pd.to_datetime(["1990-06-15"] * 3))
    as_of = pd.Series([_utc("2020-06-14 23:59:59"), _utc("2020-06-15"), _utc("2021-01-01")])
    assert age_in_years(born, as_of).tolist() == [29, 30, 30]


def test_leap_day_birthday_counts_on_first_of_march_in_common_years():
    born = pd.Series(pd.to_datetime(["2000-02-29"] * 4))
    as_of = pd.Series(
        [_utc("2021-02-28"), _utc("2021-03-01"), _utc("2024-02-28"), _utc("2024-02-29")]
    )
    assert age_in_years(born, as_of).tolist() == [20, 21, 23, 24]


def test_profile_rows_at_registration_and_each_birthday():
    users = pd.DataFrame(
        {
            "user_id": [1, 2],
            "gender": ["F", "M"],
            "neighborhoods": ["Hell's Kitchen", "SoHo"],
            "type_service": ["premium", "normal"],
            "registration_channel": ["Google", "Instagram"],
            "registration_date": [_utc("2020-05-10"), _utc("2020-09-01")],
            "birth_date": pd.to_datetime(["1990-06-15", "2000-02-29"]),
            "system_operation": ["Android", "IOS"],
        }
    )
    horizon = _utc("2020-10-31")
    table = user_profile_table(users, horizon)
    # Lookahead reaches 2021-11-01: user 1 has birthdays 2020-06-15 and 2021-06-15;
    # user 2 (born on 29 February) turns 21 on 2021-03-01.
    assert horizon + PROFILE_LOOKAHEAD == _utc("2021-11-01")
    first = table[table.user_id == 1]
    assert first["event_timestamp"].tolist() == [
        _utc("2020-05-10"),
        _utc("2020-06-15"),
        _utc("2021-06-15"),
    ]
    assert first["age_years"].tolist() == [29, 30, 31]
    assert set(first["neighborhood"]) == {"Hell's Kitchen"}
    second = table[table.user_id == 2]
    assert second["event_timestamp"].tolist() == [_utc("2020-09-01"), _utc("2021-03-01")]
    assert second["age_years"].tolist() == [20, 21]
    assert "birth_date" not in table.columns
    assert (
        table["registered_at"]
        == table["user_id"].map({1: _utc("2020-05-10"), 2: _utc("2020-09-01")})
    ).all()
