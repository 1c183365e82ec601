"""From a Feast feature view to one SageMaker feature group: types, identifier, event time, metadata.

Integers and booleans become Integral, floats Fractional, strings String, timestamps ISO-8601
String; any other Feast type is an error unless ``type_overrides`` maps it (its values are then
sent as JSON text or numbers). The record identifier is the view's join key, the event time its
timestamp field, written ``yyyy-MM-dd'T'HH:mm:ss.SSSZ`` (or Fractional Unix seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feast import FeatureView, ValueType

from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import SchemaMappingError
from feature_repo.sagemaker.names import (
    FEATURE_DESCRIPTION_MAX,
    GROUP_DESCRIPTION_MAX,
    MAX_FEATURES,
    check_feature_name,
    parameter_value,
    tag_value,
)

MANAGED_BY_TAG = "delivery-fs:managed-by"
MANAGED_BY = "delivery-fs"
VIEW_TAG = "delivery-fs:feast-view"
PROJECT_TAG = "delivery-fs:feast-project"
MAX_PARAMETERS = 25

# Feast value type -> (SageMaker type, how values are written)
DEFAULT_TYPES: dict[ValueType, tuple[str, str]] = {
    ValueType.INT32: ("Integral", "integer"),
    ValueType.INT64: ("Integral", "integer"),
    ValueType.BOOL: ("Integral", "boolean"),
    ValueType.FLOAT: ("Fractional", "float"),
    ValueType.DOUBLE: ("Fractional", "float"),
    ValueType.STRING: ("String", "string"),
    ValueType.UNIX_TIMESTAMP: ("String", "timestamp"),
}
OVERRIDE_KINDS = {"Integral": "integer", "Fractional": "float", "String": "json"}


@dataclass(frozen=True)
class FeatureSpec:
    name: str
    feature_type: str  # Integral, Fractional or String
    value_kind: str  # integer, boolean, float, string, timestamp, json, event_time
    description: str = ""
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class FeatureGroupSpec:
    """What one feature view becomes in SageMaker, independent of any group name or version."""

    view: str
    record_identifier: str
    event_time_feature: str
    source_timestamp_field: str
    features: tuple[FeatureSpec, ...]  # record identifier and event time first
    description: str
    tags: tuple[tuple[str, str], ...]

    @property
    def feature_types(self) -> dict[str, str]:
        return {f.name: f.feature_type for f in self.features}

    @property
    def value_features(self) -> tuple[FeatureSpec, ...]:
        """The view's features, without the record identifier and event time."""
        return self.features[2:]


def _feature_type(
    view: str, name: str, value_type: ValueType, settings: SageMakerSettings
) -> tuple[str, str]:
    override = settings.type_overrides.get(f"{view}.{name}")
    if override:
        return override, OVERRIDE_KINDS[override]
    if value_type in DEFAULT_TYPES:
        return DEFAULT_TYPES[value_type]
    raise SchemaMappingError(
        f"view {view}, feature {name}: Feast type {value_type.name} has no SageMaker equivalent. "
        f"Map it explicitly with type_overrides: {{'{view}.{name}': String}} (values are sent as JSON text), or drop the feature."
    )


def _description(text: str, limit: int, where: str) -> str:
    if len(text) > limit:
        raise SchemaMappingError(
            f"{where}: description has {len(text)} characters, SageMaker allows {limit}; shorten it."
        )
    return text


def _parameters(tags: dict[str, str], feast_type: str, where: str) -> tuple[tuple[str, str], ...]:
    pairs = [("feast:type", feast_type), *sorted(tags.items())]
    if len(pairs) > MAX_PARAMETERS:
        raise SchemaMappingError(
            f"{where}: {len(pairs)} tags, SageMaker keeps at most {MAX_PARAMETERS} parameters per feature."
        )
    return tuple((parameter_value(key), parameter_value(value)) for key, value in pairs)


def feature_group_spec(
    view: FeatureView, settings: SageMakerSettings, project: str
) -> FeatureGroupSpec:
    """The feature group of a registered Feast feature view (its entity columns must be known)."""
    if len(view.entity_columns) != 1:
        raise SchemaMappingError(
            f"view {view.name}: SageMaker needs exactly one record identifier, the view has join keys "
            f"{[c.name for c in view.entity_columns]} (apply the repository first; composite keys are not supported)."
        )
    key = view.entity_columns[0]
    key_type, key_kind = _feature_type(view.name, key.name, key.dtype.to_value_type(), settings)
    if key_type == "Fractional":
        raise SchemaMappingError(
            f"view {view.name}: join key {key.name} is {key.dtype}; a record identifier must be Integral or String."
        )
    timestamp_field = view.batch_source.timestamp_field
    event_type = "String" if settings.event_time_format == "iso8601" else "Fractional"
    features = [
        FeatureSpec(
            check_feature_name(key.name, f"view {view.name}"),
            key_type,
            key_kind,
            "Record identifier: the Feast join key.",
        ),
        FeatureSpec(
            check_feature_name(timestamp_field, f"view {view.name}"),
            event_type,
            "event_time",
            "Event time: the Feast timestamp field.",
        ),
    ]
    for field in view.features:
        where = f"view {view.name}, feature {field.name}"
        feature_type, kind = _feature_type(
            view.name, field.name, field.dtype.to_value_type(), settings
        )
        features.append(
            FeatureSpec(
                name=check_feature_name(field.name, f"view {view.name}"),
                feature_type=feature_type,
                value_kind=kind,
                description=_description(field.description or "", FEATURE_DESCRIPTION_MAX, where),
                parameters=_parameters(dict(field.tags or {}), str(field.dtype), where),
            )
        )
    names = [f.name.lower() for f in features]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise SchemaMappingError(
            f"view {view.name}: features {duplicated} clash with the join key or timestamp field."
        )
    if len(features) > MAX_FEATURES:
        raise SchemaMappingError(
            f"view {view.name}: {len(features)} features, SageMaker allows {MAX_FEATURES} per group."
        )
    managed = {MANAGED_BY_TAG: MANAGED_BY, VIEW_TAG: view.name, PROJECT_TAG: project}
    tags = {**dict(view.tags or {}), **managed}
    return FeatureGroupSpec(
        view=view.name,
        record_identifier=key.name,
        event_time_feature=timestamp_field,
        source_timestamp_field=timestamp_field,
        features=tuple(features),
        description=_description(
            view.description or "", GROUP_DESCRIPTION_MAX, f"view {view.name}"
        ),
        tags=tuple((key, tag_value(value)) for key, value in tags.items()),
    )


def created_by_project(tags: dict[str, str], project: str) -> bool:
    """Whether a group's tags say this project's mirror created it."""
    return tags.get(MANAGED_BY_TAG) == MANAGED_BY and tags.get(PROJECT_TAG) == project


def create_request(
    spec: FeatureGroupSpec, name: str, settings: SageMakerSettings
) -> dict[str, Any]:
    """CreateFeatureGroup's parameters for ``spec`` under ``name``."""
    request: dict[str, Any] = {
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": spec.record_identifier,
        "EventTimeFeatureName": spec.event_time_feature,
        "FeatureDefinitions": [
            {"FeatureName": f.name, "FeatureType": f.feature_type} for f in spec.features
        ],
        "Description": spec.description,
        "Tags": [{"Key": k, "Value": v} for k, v in spec.tags],
    }
    online = settings.online_store
    if online.enabled:
        request["OnlineStoreConfig"] = {"EnableOnlineStore": True}
        if online.ttl_days:
            request["OnlineStoreConfig"]["TtlDuration"] = {"Unit": "Days", "Value": online.ttl_days}
    offline = settings.offline_store
    if offline.enabled:
        request["OfflineStoreConfig"] = {
            "S3StorageConfig": {"S3Uri": offline.s3_uri},
            "DisableGlueTableCreation": offline.disable_glue_table_creation,
            "TableFormat": offline.table_format,
        }
        request["RoleArn"] = settings.role_arn
    return request
