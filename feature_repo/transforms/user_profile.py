"""User profile rows: one at registration and one at every birthday up to a horizon.

Age changes on birthdays, so a row is emitted each time it changes; between rows the
latest row holds. The birth date itself is personal data and never leaves this function.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROFILE_LOOKAHEAD = pd.Timedelta(
    days=366
)  # birthday rows past the data, so age stays right for a year


def age_in_years(birth_date: pd.Series, as_of: pd.Series) -> pd.Series:
    """Completed years between a (naive) birth date and a UTC instant; a 29 February birthday counts on 1 March."""
    moment = as_of.dt.tz_convert("UTC").dt.tz_localize(None) if as_of.dt.tz is not None else as_of
    years = moment.dt.year - birth_date.dt.year
    before_birthday = (moment.dt.month < birth_date.dt.month) | (
        (moment.dt.month == birth_date.dt.month) & (moment.dt.day < birth_date.dt.day)
    )
    return (years - before_birthday.astype(np.int64)).astype(np.int64)


def birthdays_after(birth_date: pd.Series, start: pd.Series, end: pd.Timestamp) -> pd.DataFrame:
    """Every instant in (start, end] at which the age of each row increases.

    Returns a frame with the row's index as ``row`` and the UTC ``birthday`` instant (midnight).
    """
    first_year, last_year = int(start.dt.year.min()), int(end.year)
    rows = []
    for year in range(first_year, last_year + 1):
        moment = _birthday_in_year(birth_date, year)
        inside = (moment > start) & (moment <= end)
        rows.append(pd.DataFrame({"row": birth_date.index[inside], "birthday": moment[inside]}))
    return pd.concat(rows, ignore_index=True)


def _birthday_in_year(birth_date: pd.Series, year: int) -> pd.Series:
    """The UTC midnight at which the age increases in ``year`` (1 March for 29 February outside leap years)."""
    month, day = birth_date.dt.month, birth_date.dt.day
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    shifted = (month == 2) & (day == 29) & (not leap)
    text = (
        f"{year}-"
        + month.where(~shifted, 3).astype(str).str.zfill(2)
        + "-"
        + day.where(~shifted, 1).astype(str).str.zfill(2)
    )
    return (
        pd.to_datetime(text, format="%Y-%m-%d").dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    )


def user_profile_table(users: pd.DataFrame, horizon: pd.Timestamp) -> pd.DataFrame:
    """Profile rows for the ``user_profile`` view, from typed users (see ``pipeline.raw_data``).

    Columns: user_id, event_timestamp, age_years, gender, neighborhood, service_type,
    registration_channel, operating_system, registered_at.
    """
    registered = users["registration_date"]
    birthdays = birthdays_after(users["birth_date"], registered, horizon + PROFILE_LOOKAHEAD)
    change_index = np.concatenate([users.index.to_numpy(), birthdays["row"].to_numpy()])
    change_times = pd.concat([registered, birthdays["birthday"]], ignore_index=True)
    base = users.loc[change_index].reset_index(drop=True)
    table = pd.DataFrame(
        {
            "user_id": base["user_id"].to_numpy(),
            "event_timestamp": change_times.to_numpy(),
            "age_years": age_in_years(base["birth_date"], change_times).to_numpy(),
            "gender": base["gender"].to_numpy(),
            "neighborhood": base["neighborhoods"].to_numpy(),
            "service_type": base["type_service"].to_numpy(),
            "registration_channel": base["registration_channel"].to_numpy(),
            "operating_system": base["system_operation"].to_numpy(),
            "registered_at": base["registration_date"].to_numpy(),
        }
    )
    table["event_timestamp"] = pd.to_datetime(table["event_timestamp"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    table["registered_at"] = pd.to_datetime(table["registered_at"], utc=True).astype(
        "datetime64[us, UTC]"
    )
    return table.sort_values(["user_id", "event_timestamp"], ignore_index=True)
