"""Feature values as SageMaker's strings: a DataFrame of Feast rows becomes PutRecord records.

Missing values (None, NaN, NaT) are left out of the record, never sent as "nan". Floats are
written with Python's shortest round-trip repr, so a value read back parses to the same float.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from feature_repo.core.timestamps import utc
from feature_repo.sagemaker.schema_mapping import FeatureGroupSpec, FeatureSpec


@dataclass(frozen=True)
class Record:
    identifier: str
    event_time: str
    features: tuple[tuple[str, str], ...]  # (name, value) for each present value

    def as_feature_values(self) -> list[dict[str, str]]:
        return [{"FeatureName": name, "ValueAsString": value} for name, value in self.features]


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def iso_event_time(moment: pd.Timestamp) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` in UTC."""
    moment = utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def unix_seconds(moment: pd.Timestamp) -> str:
    return repr(utc(moment).timestamp())


def event_seconds(event_time: str) -> float:
    """Unix seconds of an event time written by ``iso_event_time`` or ``unix_seconds``."""
    if event_time.endswith("Z"):
        return pd.Timestamp(event_time).timestamp()
    return float(event_time)


def value_string(value: Any, kind: str) -> str | None:
    """One value as SageMaker's string for its kind, or None when missing."""
    if kind == "json":
        if value is None or (not hasattr(value, "__len__") and is_missing(value)):
            return None
        return json.dumps(value.tolist() if hasattr(value, "tolist") else value, default=str)
    if is_missing(value):
        return None
    if kind == "integer":
        return str(int(value))
    if kind == "boolean":
        return "1" if bool(value) else "0"
    if kind == "float":
        return repr(float(value))
    if kind in ("timestamp", "event_time"):
        return iso_event_time(value)
    return str(value)


def _column_strings(
    frame: pd.DataFrame, feature: FeatureSpec, event_time_format: str
) -> list[str | None]:
    values = frame[feature.name].tolist()
    if feature.value_kind == "event_time" and event_time_format == "unix_seconds":
        return [unix_seconds(v) for v in values]
    return [value_string(v, feature.value_kind) for v in values]


def records_from_frame(
    frame: pd.DataFrame, spec: FeatureGroupSpec, event_time_format: str = "iso8601"
) -> list[Record]:
    """One record per row of ``frame`` (columns: join key, timestamp field, features)."""
    columns = {f.name: _column_strings(frame, f, event_time_format) for f in spec.features}
    identifiers = columns[spec.record_identifier]
    event_times = columns[spec.event_time_feature]
    records = []
    for position in range(len(frame)):
        present = tuple(
            (name, values[position])
            for name, values in columns.items()
            if values[position] is not None
        )
        records.append(Record(identifiers[position], event_times[position], present))
    return records
