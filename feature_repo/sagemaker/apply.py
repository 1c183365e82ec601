"""Carrying out a plan: create groups and wait for ``Created``, add features, write feature metadata; destroy.

Every step is safe to rerun: a group that already exists is waited for, not recreated; a plan
with nothing to do makes no call that changes anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from feature_repo.sagemaker.aws import (
    SageMakerClients,
    describe_group,
    group_tags,
    list_group_names,
)
from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import AwsCallError, FeatureGroupFailedError, translated_errors
from feature_repo.sagemaker.plan import Action, GroupPlan
from feature_repo.sagemaker.schema_mapping import FeatureSpec, create_request, created_by_project

MAX_ADDITIONS_PER_CALL = 100


def wait_for(
    clients: SageMakerClients,
    name: str,
    settings: SageMakerSettings,
    ready: Callable[[dict[str, Any]], bool],
    what: str,
) -> dict[str, Any]:
    """Describe ``name`` until ``ready`` says so; an error on CreateFailed, a failed update or the timeout."""
    deadline = time.monotonic() + settings.create_timeout_seconds
    while True:
        described = describe_group(clients, name)
        if described["FeatureGroupStatus"] == "CreateFailed":
            raise FeatureGroupFailedError(
                f"Feature group {name} is CreateFailed: {described.get('FailureReason', 'no reason given')}. "
                "Fix the cause (role, S3 bucket, names), run `delivery-fs sagemaker destroy`, then apply again."
            )
        update = described.get("LastUpdateStatus", {})
        if update.get("Status") == "Failed":
            raise FeatureGroupFailedError(
                f"Updating feature group {name} failed: {update.get('FailureReason', 'no reason given')}."
            )
        if ready(described):
            return described
        if time.monotonic() >= deadline:
            raise FeatureGroupFailedError(
                f"Feature group {name} is still {described['FeatureGroupStatus']} after {settings.create_timeout_seconds:.0f} s waiting for {what}; "
                "rerun apply later (it resumes waiting) or raise create_timeout_seconds."
            )
        time.sleep(settings.poll_seconds)


def _created(described: dict[str, Any]) -> bool:
    return described["FeatureGroupStatus"] == "Created"


def _updated(described: dict[str, Any]) -> bool:
    return (
        _created(described) and described.get("LastUpdateStatus", {}).get("Status") != "InProgress"
    )


def write_feature_metadata(
    clients: SageMakerClients, name: str, features: tuple[FeatureSpec, ...]
) -> None:
    """Descriptions and tags (as parameters) of ``features`` in group ``name``."""
    for feature in features:
        if not feature.description and not feature.parameters:
            continue
        request = {
            "FeatureGroupName": name,
            "FeatureName": feature.name,
            "Description": feature.description,
        }
        if feature.parameters:
            request["ParameterAdditions"] = [{"Key": k, "Value": v} for k, v in feature.parameters]
        with translated_errors(
            f"writing the metadata of feature {feature.name} of {name}", clients.control_endpoint
        ):
            clients.control.update_feature_metadata(**request)


def _create(plan: GroupPlan, clients: SageMakerClients, settings: SageMakerSettings) -> None:
    try:
        with translated_errors(
            f"creating feature group {plan.group_name}", clients.control_endpoint
        ):
            clients.control.create_feature_group(
                **create_request(plan.spec, plan.group_name, settings)
            )
    except AwsCallError as error:
        if "ResourceInUse" not in str(error):
            raise  # a group created by an interrupted earlier run is simply waited for
    wait_for(clients, plan.group_name, settings, _created, "Created")
    write_feature_metadata(clients, plan.group_name, plan.spec.features)


def _add_features(plan: GroupPlan, clients: SageMakerClients, settings: SageMakerSettings) -> None:
    wait_for(clients, plan.group_name, settings, _updated, "the end of a previous update")
    additions = [{"FeatureName": f.name, "FeatureType": f.feature_type} for f in plan.added]
    for start in range(0, len(additions), MAX_ADDITIONS_PER_CALL):
        with translated_errors(f"adding features to {plan.group_name}", clients.control_endpoint):
            clients.control.update_feature_group(
                FeatureGroupName=plan.group_name,
                FeatureAdditions=additions[start : start + MAX_ADDITIONS_PER_CALL],
            )
        wait_for(clients, plan.group_name, settings, _updated, "the new features")
    write_feature_metadata(clients, plan.group_name, plan.added)


def apply_plan(plan: GroupPlan, clients: SageMakerClients, settings: SageMakerSettings) -> None:
    """Make SageMaker match one view's plan."""
    if plan.action in (Action.CREATE, Action.NEW_VERSION):
        _create(plan, clients, settings)
    elif plan.action is Action.ADD_FEATURES:
        _add_features(plan, clients, settings)


def managed_groups(
    clients: SageMakerClients, settings: SageMakerSettings, project: str
) -> list[str]:
    """Feature groups under the prefix that this project created (by their tags)."""
    contains = settings.group_prefix or "-v"
    names = []
    for name in list_group_names(clients, contains):
        tags = group_tags(clients, describe_group(clients, name)["FeatureGroupArn"])
        if created_by_project(tags, project):
            names.append(name)
    return sorted(names)


def destroy(clients: SageMakerClients, settings: SageMakerSettings, project: str) -> list[str]:
    """Delete this project's feature groups (others are left alone); the names deleted."""
    deleted = managed_groups(clients, settings, project)
    for name in deleted:
        with translated_errors(f"deleting feature group {name}", clients.control_endpoint):
            clients.control.delete_feature_group(FeatureGroupName=name)
    return deleted
