"""The record API: PutRecord, GetRecord, BatchGetRecord, DeleteRecord.

The online store keeps, per record identifier, the record with the newest event time (an older
record is accepted, sent to the offline store, and leaves the online record alone). Values are
checked against their feature's type; event times must use one of AWS's two formats.
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime
from typing import Any

from sagemaker_emulator.feature_groups import (
    FeatureGroup,
    FeatureGroupRegistry,
    StoredRecord,
)
from sagemaker_emulator.offline_writer import OfflineWriter
from sagemaker_emulator.protocols import ApiError

MAX_BATCH_IDENTIFIERS = 100
ISO_EVENT_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z")
INTEGRAL = re.compile(r"-?\d+")
INT64_RANGE = (-(2**63), 2**63 - 1)
TTL_SECONDS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400, "Weeks": 604800}


def validation_error(message: str) -> ApiError:
    return ApiError("ValidationError", message)


def parse_event_time(value: str, feature_type: str, feature: str) -> float:
    """Unix seconds of an event time, in the format its type allows."""
    if feature_type == "Fractional":
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds < 0:
            raise validation_error(
                f"Event time '{value}' of feature {feature} is not a non-negative Fractional number of Unix seconds."
            )
        return seconds
    if not ISO_EVENT_TIME.fullmatch(value):
        raise validation_error(
            f"Event time '{value}' of feature {feature} must be formatted yyyy-MM-dd'T'HH:mm:ssZ or yyyy-MM-dd'T'HH:mm:ss.SSSZ."
        )
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise validation_error(
            f"Event time '{value}' of feature {feature} is not a valid date: {error}."
        ) from error
    return parsed.timestamp()


def check_value(value: str, feature_type: str, feature: str) -> None:
    """A value must parse as its feature's type: Integral a 64-bit integer, Fractional a finite number."""
    if feature_type == "Integral":
        if not INTEGRAL.fullmatch(value) or not INT64_RANGE[0] <= int(value) <= INT64_RANGE[1]:
            raise validation_error(f"Value '{value}' of feature {feature} is not Integral.")
    elif feature_type == "Fractional":
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise validation_error(
                f"Value '{value}' of feature {feature} is not a finite Fractional number."
            )


def _record_features(group: FeatureGroup, record: list[dict[str, Any]]) -> dict[str, str]:
    types = group.feature_types
    features: dict[str, str] = {}
    for item in record:
        name = item["FeatureName"]
        if name not in types:
            raise validation_error(f"Feature {name} is not defined in FeatureGroup {group.name}.")
        if name in features:
            raise validation_error(f"Feature {name} appears more than once in the record.")
        if "ValueAsString" not in item:
            raise validation_error(
                f"Feature {name} has no ValueAsString (collection values are not supported)."
            )
        check_value(item["ValueAsString"], types[name], name)
        features[name] = item["ValueAsString"]
    for key in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        required = group.request[key]
        if required not in features:
            raise validation_error(
                f"The record has no value for {required}, the {key[:-11]} of FeatureGroup {group.name}."
            )
    return features


def _ttl_seconds(group: FeatureGroup, params: dict[str, Any]) -> float | None:
    ttl = params.get("TtlDuration") or group.request.get("OnlineStoreConfig", {}).get("TtlDuration")
    return ttl["Value"] * TTL_SECONDS[ttl["Unit"]] if ttl else None


def _expires_at(record: StoredRecord, ttl: float | None) -> float | None:
    return record.event_time + ttl if ttl else None


class RecordStore:
    """The runtime: records of the groups in a registry, online in memory, offline through a writer."""

    def __init__(self, registry: FeatureGroupRegistry, offline: OfflineWriter):
        self._registry = registry
        self._offline = offline

    def _ready_group(self, name: str) -> FeatureGroup:
        group = self._registry.get(name)
        if group.status != "Created":
            raise validation_error(
                f"FeatureGroup {group.name} is in status {group.status}; records can be written only when it is Created."
            )
        return group

    def put(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._ready_group(params["FeatureGroupName"])
        features = _record_features(group, params["Record"])
        event_feature = group.request["EventTimeFeatureName"]
        event_time = parse_event_time(
            features[event_feature], group.feature_types[event_feature], event_feature
        )
        targets = params.get("TargetStores") or [
            store
            for store, on in (
                ("OnlineStore", group.online_enabled),
                ("OfflineStore", bool(group.offline_config)),
            )
            if on
        ]
        if "OnlineStore" in targets and not group.online_enabled:
            raise validation_error(f"FeatureGroup {group.name} has no online store.")
        if "OfflineStore" in targets and not group.offline_config:
            raise validation_error(f"FeatureGroup {group.name} has no offline store.")
        if "OnlineStore" in targets:
            identifier = features[group.request["RecordIdentifierFeatureName"]]
            with group.records_lock:
                current = group.online.get(identifier)
                if current is None or event_time >= current.event_time:
                    group.online[identifier] = StoredRecord(features, event_time)
        if "OfflineStore" in targets:
            self._offline.append(group, features, deleted=False)
        return {}

    def _read(
        self, group: FeatureGroup, identifier: str, names: list[str] | None, ttl: float | None
    ) -> dict[str, Any] | None:
        with group.records_lock:
            record = group.online.get(identifier)
        expires = _expires_at(record, ttl) if record else None
        if record is None or (expires is not None and expires <= time.time()):
            return None
        if names:
            unknown = sorted(set(names) - set(group.feature_types))
            if unknown:
                raise validation_error(
                    f"Features {unknown} are not defined in FeatureGroup {group.name}."
                )
        chosen = [n for n in (names or record.features) if n in record.features]
        answer: dict[str, Any] = {
            "Record": [{"FeatureName": n, "ValueAsString": record.features[n]} for n in chosen]
        }
        if expires is not None:
            answer["ExpiresAt"] = (
                datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            )
        return answer

    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._ready_group(params["FeatureGroupName"])
        found = self._read(
            group,
            params["RecordIdentifierValueAsString"],
            params.get("FeatureNames"),
            _ttl_seconds(group, {}),
        )
        if found and params.get("ExpirationTimeResponse") != "Enabled":
            found.pop("ExpiresAt", None)
        return found or {}

    def batch_get(self, params: dict[str, Any]) -> dict[str, Any]:
        total = sum(len(i["RecordIdentifiersValueAsString"]) for i in params["Identifiers"])
        if total > MAX_BATCH_IDENTIFIERS:
            raise validation_error(
                f"BatchGetRecord takes at most {MAX_BATCH_IDENTIFIERS} record identifiers in all; got {total}."
            )
        records, errors = [], []
        for request in params["Identifiers"]:
            try:
                group = self._ready_group(request["FeatureGroupName"])
            except ApiError as error:
                errors.extend(
                    {
                        "FeatureGroupName": request["FeatureGroupName"],
                        "RecordIdentifierValueAsString": identifier,
                        "ErrorCode": error.code,
                        "ErrorMessage": error.message,
                    }
                    for identifier in request["RecordIdentifiersValueAsString"]
                )
                continue
            for identifier in request["RecordIdentifiersValueAsString"]:
                found = self._read(
                    group, identifier, request.get("FeatureNames"), _ttl_seconds(group, {})
                )
                if found:
                    if params.get("ExpirationTimeResponse") != "Enabled":
                        found.pop("ExpiresAt", None)
                    records.append(
                        {
                            "FeatureGroupName": group.name,
                            "RecordIdentifierValueAsString": identifier,
                            **found,
                        }
                    )
        return {"Records": records, "Errors": errors, "UnprocessedIdentifiers": []}

    def delete(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self._ready_group(params["FeatureGroupName"])
        event_feature = group.request["EventTimeFeatureName"]
        event_time = parse_event_time(
            params["EventTime"], group.feature_types[event_feature], event_feature
        )
        identifier = params["RecordIdentifierValueAsString"]
        targets = params.get("TargetStores") or ["OnlineStore", "OfflineStore"]
        if "OnlineStore" in targets:
            with group.records_lock:
                current = group.online.get(identifier)
                if current is not None and event_time >= current.event_time:
                    del group.online[identifier]
        if "OfflineStore" in targets and group.offline_config:
            record_key = group.request["RecordIdentifierFeatureName"]
            self._offline.append(
                group, {record_key: identifier, event_feature: params["EventTime"]}, deleted=True
            )
        return {}
