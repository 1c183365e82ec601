"""Feature groups as SageMaker keeps them: creation states, add-only updates, metadata and tags.

The rules here are the ones the service model cannot express (its lengths, patterns and enums are
checked beforehand by ``model_validation``): reserved names, where the record identifier and event
time must be and which types they may have, unique names, additions only.

Longer than our usual modules on purpose: one feature group's whole life (create, describe, update,
delete and its states) reads best in one place, as the service's own reference is organised.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sagemaker_emulator.faults import Faults
from sagemaker_emulator.protocols import ApiError

ACCOUNT_ID = "123456789012"
RESERVED_FEATURE_NAMES = frozenset({"is_deleted", "write_time", "api_invocation_time"})
MAX_FEATURES = 2500
RECORD_IDENTIFIER_TYPES = ("Integral", "String")
EVENT_TIME_TYPES = ("Fractional", "String")


def validation_error(message: str) -> ApiError:
    return ApiError("ValidationException", message)


@dataclass(frozen=True)
class StoredRecord:
    """One record of the online store: its features (name -> string value) and parsed event time."""

    features: dict[str, str]
    event_time: float


@dataclass
class FeatureGroup:
    name: str
    arn: str
    request: dict[str, Any]
    created_at: datetime
    creating_describes_left: int
    fails: bool
    tags: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, dict[str, Any]] = field(default_factory=dict)
    last_update: dict[str, Any] | None = None
    update_describes_left: int = 0
    last_modified: datetime | None = None
    online: dict[str, StoredRecord] = field(default_factory=dict)
    records_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def features(self) -> list[dict[str, Any]]:
        return self.request["FeatureDefinitions"]

    @property
    def feature_types(self) -> dict[str, str]:
        return {f["FeatureName"]: f["FeatureType"] for f in self.features}

    @property
    def status(self) -> str:
        if self.creating_describes_left > 0:
            return "Creating"
        return "CreateFailed" if self.fails else "Created"

    @property
    def online_enabled(self) -> bool:
        return bool(self.request.get("OnlineStoreConfig", {}).get("EnableOnlineStore"))

    @property
    def offline_config(self) -> dict[str, Any] | None:
        return self.request.get("OfflineStoreConfig")


def _check_feature_definitions(definitions: list[dict[str, Any]], existing: set[str]) -> None:
    seen = {name.lower() for name in existing}
    for definition in definitions:
        name = definition["FeatureName"]
        if name.lower() in RESERVED_FEATURE_NAMES:
            raise validation_error(
                f"Feature name '{name}' is reserved: {sorted(RESERVED_FEATURE_NAMES)} cannot be used."
            )
        if name.lower() in seen:
            raise validation_error(f"Feature name '{name}' is defined more than once.")
        seen.add(name.lower())
        if definition.get("CollectionType"):
            raise validation_error(
                f"Feature '{name}': collection types need an InMemory online store, which this emulator does not offer."
            )
    if len(seen) > MAX_FEATURES:
        raise validation_error(
            f"A feature group holds at most {MAX_FEATURES} features, got {len(seen)}."
        )


def _check_special_feature(params: dict, key: str, allowed: tuple[str, ...]) -> None:
    name = params[key]
    types = {f["FeatureName"]: f["FeatureType"] for f in params["FeatureDefinitions"]}
    if name not in types:
        raise validation_error(f"{key} '{name}' is not among the FeatureDefinitions.")
    if types[name] not in allowed:
        raise validation_error(
            f"{key} '{name}' has type {types[name]}; it must be one of {list(allowed)}."
        )


def check_create_request(params: dict[str, Any]) -> None:
    """The semantic rules of CreateFeatureGroup."""
    _check_feature_definitions(params["FeatureDefinitions"], set())
    _check_special_feature(params, "RecordIdentifierFeatureName", RECORD_IDENTIFIER_TYPES)
    _check_special_feature(params, "EventTimeFeatureName", EVENT_TIME_TYPES)
    online = params.get("OnlineStoreConfig", {}).get("EnableOnlineStore")
    if not online and not params.get("OfflineStoreConfig"):
        raise validation_error(
            "At least one of OnlineStoreConfig or OfflineStoreConfig must be enabled."
        )
    if params.get("OfflineStoreConfig") and not params.get("RoleArn"):
        raise validation_error("RoleArn is required when OfflineStoreConfig is given.")


class FeatureGroupRegistry:
    """The control plane: every feature group of the emulated account, behind one lock."""

    def __init__(self, faults: Faults):
        self._faults = faults
        self._groups: dict[str, FeatureGroup] = {}
        self._lock = threading.RLock()
        self.on_create: list = []  # callbacks(group) run before a creation is accepted

    def _arn(self, region: str, name: str) -> str:
        return f"arn:aws:sagemaker:{region}:{ACCOUNT_ID}:feature-group/{name.lower()}"

    def get(self, name_or_arn: str) -> FeatureGroup:
        name = name_or_arn.rsplit("/", 1)[-1]
        with self._lock:
            for group in self._groups.values():
                if group.name.lower() == name.lower():
                    return group
        raise ApiError(
            "ResourceNotFound",
            f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}",
        )

    def by_arn(self, arn: str) -> FeatureGroup:
        with self._lock:
            for group in self._groups.values():
                if group.arn == arn:
                    return group
        raise validation_error(f"Resource {arn} does not exist.")

    def create(self, params: dict[str, Any], region: str) -> dict[str, Any]:
        check_create_request(params)
        name = params["FeatureGroupName"]
        with self._lock:
            if any(g.name.lower() == name.lower() for g in self._groups.values()):
                raise ApiError(
                    "ResourceInUse",
                    f"Resource Already Exists: FeatureGroup with name {name} already exists. Choose a different name.",
                )
            for callback in self.on_create:
                callback(params)
            group = FeatureGroup(
                name=name,
                arn=self._arn(region, name),
                request=params,
                created_at=datetime.now(UTC),
                creating_describes_left=self._faults.creating_describes,
                fails=name in self._faults.fail_create,
                tags={t["Key"]: t["Value"] for t in params.get("Tags", [])},
            )
            self._groups[name] = group
        return {"FeatureGroupArn": group.arn}

    def describe(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group = self.get(params["FeatureGroupName"])
            status = group.status
            group.creating_describes_left = max(0, group.creating_describes_left - 1)
            update = group.last_update
            if update and update["Status"] == "InProgress":
                if group.update_describes_left <= 0:
                    update = group.last_update = {"Status": "Successful"}
                group.update_describes_left -= 1
        request = group.request
        answer = {
            "FeatureGroupArn": group.arn,
            "FeatureGroupName": group.name,
            "RecordIdentifierFeatureName": request["RecordIdentifierFeatureName"],
            "EventTimeFeatureName": request["EventTimeFeatureName"],
            "FeatureDefinitions": group.features,
            "CreationTime": group.created_at,
            "FeatureGroupStatus": status,
            "ThroughputConfig": {"ThroughputMode": "OnDemand"},
            "NextToken": "",
        }
        for key in ("OnlineStoreConfig", "OfflineStoreConfig", "RoleArn", "Description"):
            if key in request:
                answer[key] = request[key]
        if group.offline_config:
            answer["OfflineStoreStatus"] = {"Status": "Active"}
        if status == "CreateFailed":
            answer["FailureReason"] = f"Creation of {group.name} failed (injected by the emulator)."
        if update:
            answer["LastUpdateStatus"] = update
        if group.last_modified:
            answer["LastModifiedTime"] = group.last_modified
        return answer

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            groups = list(self._groups.values())
        contains = params.get("NameContains", "")
        status = params.get("FeatureGroupStatusEquals")
        chosen = [
            g
            for g in groups
            if contains.lower() in g.name.lower() and (not status or g.status == status)
        ]
        sort_key = params.get("SortBy", "CreationTime")
        key = {"Name": lambda g: g.name, "FeatureGroupStatus": lambda g: g.status}.get(
            sort_key, lambda g: g.created_at
        )
        chosen.sort(key=key, reverse=params.get("SortOrder", "Descending") == "Descending")
        start = int(params.get("NextToken") or 0)
        size = params.get("MaxResults", 10)
        page = chosen[start : start + size]
        answer: dict[str, Any] = {
            "FeatureGroupSummaries": [
                {
                    "FeatureGroupName": g.name,
                    "FeatureGroupArn": g.arn,
                    "CreationTime": g.created_at,
                    "FeatureGroupStatus": g.status,
                }
                for g in page
            ]
        }
        if start + size < len(chosen):
            answer["NextToken"] = str(start + size)
        return answer

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group = self.get(params["FeatureGroupName"])
            if group.status != "Created":
                raise validation_error(
                    f"FeatureGroup {group.name} is in status {group.status}; it can be updated only when Created."
                )
            if group.last_update and group.last_update["Status"] == "InProgress":
                raise ApiError(
                    "ResourceInUse", f"An update of FeatureGroup {group.name} is in progress."
                )
            additions = params.get("FeatureAdditions", [])
            _check_feature_definitions(additions, set(group.feature_types))
            group.request = {**group.request, "FeatureDefinitions": [*group.features, *additions]}
            for key in ("OnlineStoreConfig",):
                if key in params:
                    group.request[key] = {**group.request.get(key, {}), **params[key]}
            group.last_update = {"Status": "InProgress"}
            group.update_describes_left = self._faults.creating_describes
            group.last_modified = datetime.now(UTC)
        return {"FeatureGroupArn": group.arn}

    def delete(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group = self.get(params["FeatureGroupName"])
            del self._groups[group.name]
        return {}

    def _feature(self, params: dict[str, Any]) -> tuple[FeatureGroup, str]:
        group = self.get(params["FeatureGroupName"])
        name = params["FeatureName"]
        if name not in group.feature_types:
            raise ApiError(
                "ResourceNotFound", f"Feature {name} not found in FeatureGroup {group.name}."
            )
        return group, name

    def update_feature_metadata(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group, name = self._feature(params)
            metadata = group.metadata.setdefault(name, {"Parameters": {}})
            if "Description" in params:
                metadata["Description"] = params["Description"]
            for removed in params.get("ParameterRemovals", []):
                metadata["Parameters"].pop(removed, None)
            for added in params.get("ParameterAdditions", []):
                metadata["Parameters"][added["Key"]] = added["Value"]
            if len(metadata["Parameters"]) > 25:
                raise validation_error(f"Feature {name} would have more than 25 parameters.")
            metadata["LastModifiedTime"] = datetime.now(UTC)
        return {}

    def describe_feature_metadata(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group, name = self._feature(params)
            metadata = group.metadata.get(name, {"Parameters": {}})
        answer = {
            "FeatureGroupArn": group.arn,
            "FeatureGroupName": group.name,
            "FeatureName": name,
            "FeatureType": group.feature_types[name],
            "CreationTime": group.created_at,
            "LastModifiedTime": metadata.get("LastModifiedTime", group.created_at),
            "Parameters": [{"Key": k, "Value": v} for k, v in metadata["Parameters"].items()],
        }
        if "Description" in metadata:
            answer["Description"] = metadata["Description"]
        return answer

    def add_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group = self.by_arn(params["ResourceArn"])
            group.tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
            if len(group.tags) > 50:
                raise validation_error(f"{group.arn} would have more than 50 tags.")
        return {"Tags": params["Tags"]}

    def list_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group = self.by_arn(params["ResourceArn"])
            return {"Tags": [{"Key": k, "Value": v} for k, v in group.tags.items()]}

    def delete_tags(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            group = self.by_arn(params["ResourceArn"])
            for key in params["TagKeys"]:
                group.tags.pop(key, None)
        return {}
