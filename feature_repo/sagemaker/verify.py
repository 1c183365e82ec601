"""Does SageMaker's online store hold what Feast serves? Sampled entities, read with BatchGetRecord
(at most 100 identifiers a call) and compared with Feast's online values: presence, type, value, event time."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from feast import FeatureStore

from feature_repo.core.timestamps import utc
from feature_repo.sagemaker.aws import SageMakerClients
from feature_repo.sagemaker.errors import AwsCallError, translated_errors
from feature_repo.sagemaker.record_values import event_seconds, is_missing
from feature_repo.sagemaker.schema_mapping import FeatureGroupSpec, FeatureSpec

BATCH_GET_LIMIT = 100
TIMESTAMP_SUFFIX = "__ts"  # Feast's OnlineResponse.to_dict(include_event_timestamps=True)


@dataclass(frozen=True)
class Difference:
    group: str
    identifier: str
    feature: str
    kind: str  # missing record, missing value, type, value, event time
    feast: str
    sagemaker: str


def sample_identifiers(
    identifiers: list[Any], count: int, seed: int, always: list[Any]
) -> list[Any]:
    """``count`` identifiers drawn without replacement (reproducible with ``seed``), plus ``always``."""
    unique = sorted(set(identifiers))
    drawn = random.Random(seed).sample(unique, min(count, len(unique)))
    return [*dict.fromkeys([*always, *drawn])]


def read_sagemaker(
    clients: SageMakerClients, group: str, identifiers: list[str]
) -> dict[str, dict[str, str]]:
    """Online records of ``identifiers`` (identifier -> feature -> string), BATCH_GET_LIMIT per call."""
    found: dict[str, dict[str, str]] = {}
    for start in range(0, len(identifiers), BATCH_GET_LIMIT):
        chunk = identifiers[start : start + BATCH_GET_LIMIT]
        with translated_errors(
            f"BatchGetRecord of {len(chunk)} records of {group}", clients.runtime_endpoint
        ):
            answer = clients.runtime.batch_get_record(
                Identifiers=[{"FeatureGroupName": group, "RecordIdentifiersValueAsString": chunk}]
            )
        for error in answer.get("Errors", []):
            raise AwsCallError(
                f"BatchGetRecord on {group} at {clients.runtime_endpoint} failed for record "
                f"{error['RecordIdentifierValueAsString']}: {error['ErrorCode']}: {error['ErrorMessage']}"
            )
        for result in answer.get("Records", []):
            found[result["RecordIdentifierValueAsString"]] = {
                v["FeatureName"]: v["ValueAsString"] for v in result["Record"]
            }
    return found


def read_feast(
    store: FeatureStore, spec: FeatureGroupSpec, identifiers: list[Any]
) -> dict[str, Any]:
    """Feast's online values (feature -> list of values, plus ``{feature}__ts`` event seconds)."""
    features = [f"{spec.view}:{f.name}" for f in spec.value_features]
    rows = [{spec.record_identifier: identifier} for identifier in identifiers]
    return store.get_online_features(features=features, entity_rows=rows).to_dict(
        include_event_timestamps=True
    )


def _typed(text: str, feature: FeatureSpec) -> Any:
    """A SageMaker string read as its feature's type (ValueError when it does not parse)."""
    if feature.feature_type == "Integral":
        return int(text)
    if feature.feature_type == "Fractional":
        return float(text)
    if feature.value_kind == "timestamp":
        return pd.Timestamp(text).to_pydatetime()
    return text


def _same(feast_value: Any, typed: Any, feature: FeatureSpec) -> bool:
    if feature.value_kind == "timestamp":
        return utc(feast_value) == pd.Timestamp(typed)
    if feature.value_kind == "boolean":
        return int(bool(feast_value)) == typed
    if feature.feature_type == "Fractional":
        return math.isclose(float(feast_value), typed, rel_tol=0, abs_tol=0)
    return feast_value == typed


def compare_record(
    group: str,
    spec: FeatureGroupSpec,
    identifier: str,
    feast: dict[str, Any],
    feast_event: int,
    record: dict[str, str] | None,
) -> list[Difference]:
    """Every difference between Feast's values of one entity and SageMaker's record of it."""
    feast_present = any(not is_missing(v) for v in feast.values())
    if record is None:
        return (
            [
                Difference(
                    group,
                    identifier,
                    "*",
                    "missing record",
                    "present" if feast_present else "absent",
                    "absent",
                )
            ]
            if feast_present
            else []
        )
    differences = []
    for feature in spec.value_features:
        value, text = feast.get(feature.name), record.get(feature.name)
        if is_missing(value) and text is None:
            continue
        shown_feast = "-" if is_missing(value) else str(value)
        if is_missing(value) or text is None:
            differences.append(
                Difference(
                    group, identifier, feature.name, "missing value", shown_feast, text or "-"
                )
            )
            continue
        try:
            typed = _typed(text, feature)
        except ValueError:
            differences.append(
                Difference(
                    group,
                    identifier,
                    feature.name,
                    "type",
                    shown_feast,
                    f"{text} (not {feature.feature_type})",
                )
            )
            continue
        if not _same(value, typed, feature):
            differences.append(
                Difference(group, identifier, feature.name, "value", shown_feast, text)
            )
    event_text = record.get(spec.event_time_feature)
    sagemaker_event = math.floor(event_seconds(event_text)) if event_text else None
    if sagemaker_event != feast_event:
        feast_shown = datetime.fromtimestamp(feast_event, UTC).isoformat() if feast_event else "-"
        differences.append(
            Difference(
                group,
                identifier,
                spec.event_time_feature,
                "event time",
                feast_shown,
                event_text or "-",
            )
        )
    return differences


def verify_group(
    store: FeatureStore,
    clients: SageMakerClients,
    spec: FeatureGroupSpec,
    group: str,
    identifiers: list[Any],
) -> list[Difference]:
    """Differences between Feast's online store and the group's online store for ``identifiers``."""
    feast = read_feast(store, spec, identifiers)
    records = read_sagemaker(clients, group, [str(i) for i in identifiers])
    timestamps = [feast[f"{f.name}{TIMESTAMP_SUFFIX}"] for f in spec.value_features]
    differences = []
    for position, identifier in enumerate(identifiers):
        values = {f.name: feast[f.name][position] for f in spec.value_features}
        event = max(column[position] for column in timestamps)
        differences += compare_record(
            group, spec, str(identifier), values, event, records.get(str(identifier))
        )
    return differences
