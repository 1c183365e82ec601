"""What `apply` would change, per feature view: create, add features, nothing, or a new version.

SageMaker cannot remove or retype a feature, nor change a group's record identifier or event
time: such a change goes to a new group, ``...-v{N+1}``, next to the old one (never silently in place).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from feast import FeatureStore

from feature_repo.sagemaker.aws import (
    SageMakerClients,
    describe_group,
    group_tags,
    list_group_names,
)
from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import IncompatibleGroupError, SchemaMappingError
from feature_repo.sagemaker.names import group_name, group_version
from feature_repo.sagemaker.schema_mapping import (
    MANAGED_BY_TAG,
    PROJECT_TAG,
    FeatureGroupSpec,
    FeatureSpec,
    created_by_project,
    feature_group_spec,
)


class Action(StrEnum):
    CREATE = "create"
    ADD_FEATURES = "add features"
    UNCHANGED = "nothing to do"
    NEW_VERSION = "incompatible change: new versioned group"


@dataclass(frozen=True)
class ExistingGroup:
    name: str
    version: int
    record_identifier: str
    event_time_feature: str
    feature_types: dict[str, str]
    status: str


@dataclass(frozen=True)
class GroupPlan:
    view: str
    action: Action
    group_name: str
    spec: FeatureGroupSpec
    added: tuple[FeatureSpec, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()  # (feature, type in SageMaker, type wanted)
    replaces: str | None = None

    def summary(self) -> str:
        """One line per change, for people."""
        lines = [f"{self.view}: {self.action.value} -> {self.group_name}"]
        lines += [f"  + {f.name} ({f.feature_type})" for f in self.added]
        lines += [f"  - {name} (SageMaker cannot remove a feature)" for name in self.removed]
        lines += [
            f"  ~ {name}: {old} -> {new} (SageMaker cannot change a type)"
            for name, old, new in self.retyped
        ]
        if self.replaces:
            lines.append(f"  {self.replaces} is kept as it is; readers move to {self.group_name}")
        return "\n".join(lines)


def plan_group(spec: FeatureGroupSpec, existing: ExistingGroup | None, prefix: str) -> GroupPlan:
    """The change that takes SageMaker from ``existing`` (the view's latest group) to ``spec``."""
    if existing is None:
        return GroupPlan(
            spec.view, Action.CREATE, group_name(prefix, spec.view, 1), spec, added=spec.features
        )
    wanted = spec.feature_types
    removed = tuple(sorted(set(existing.feature_types) - set(wanted)))
    retyped = tuple(
        (name, existing.feature_types[name], wanted[name])
        for name in wanted
        if name in existing.feature_types and existing.feature_types[name] != wanted[name]
    )
    keys_changed = (existing.record_identifier, existing.event_time_feature) != (
        spec.record_identifier,
        spec.event_time_feature,
    )
    if removed or retyped or keys_changed:
        return GroupPlan(
            spec.view, Action.NEW_VERSION, group_name(prefix, spec.view, existing.version + 1), spec,
            added=spec.features, removed=removed, retyped=retyped, replaces=existing.name,
        )  # fmt: skip
    added = tuple(f for f in spec.features if f.name not in existing.feature_types)
    action = Action.ADD_FEATURES if added else Action.UNCHANGED
    return GroupPlan(spec.view, action, existing.name, spec, added=added)


def latest_group(
    clients: SageMakerClients, prefix: str, view: str, project: str
) -> ExistingGroup | None:
    """The highest version of the view's groups in SageMaker; an error if it is not this project's."""
    slug = f"{prefix}{view.replace('_', '-')}-v"
    versions = {
        v: n
        for n in list_group_names(clients, slug)
        if (v := group_version(prefix, view, n)) is not None
    }
    if not versions:
        return None
    version = max(versions)
    described = describe_group(clients, versions[version])
    tags = group_tags(clients, described["FeatureGroupArn"])
    if not created_by_project(tags, project):
        raise IncompatibleGroupError(
            f"Feature group {described['FeatureGroupName']} already exists but was not created by delivery-fs for Feast project "
            f"'{project}' (tags {MANAGED_BY_TAG}={tags.get(MANAGED_BY_TAG)}, {PROJECT_TAG}={tags.get(PROJECT_TAG)}). "
            "Delete it, or choose another group_prefix in the SageMaker settings."
        )
    if described["FeatureGroupStatus"] in ("CreateFailed", "Deleting", "DeleteFailed"):
        raise IncompatibleGroupError(
            f"Feature group {described['FeatureGroupName']} is {described['FeatureGroupStatus']}"
            f" ({described.get('FailureReason', 'no reason given')}). Run `delivery-fs sagemaker destroy` and apply again."
        )
    return ExistingGroup(
        name=described["FeatureGroupName"],
        version=version,
        record_identifier=described["RecordIdentifierFeatureName"],
        event_time_feature=described["EventTimeFeatureName"],
        feature_types={f["FeatureName"]: f["FeatureType"] for f in described["FeatureDefinitions"]},
        status=described["FeatureGroupStatus"],
    )


def mirror_specs(store: FeatureStore, settings: SageMakerSettings) -> list[FeatureGroupSpec]:
    """The feature group spec of every mirrored view (unless ``views`` is set: all batch views but
    the serving-only ones, such as the order ledger, which the lean reader alone reads)."""
    views = {v.name: v for v in store.list_feature_views()}
    chosen = (
        settings.views
        if settings.views is not None
        else sorted(name for name, view in views.items() if not _serving_only(view))
    )
    unknown = sorted(set(chosen) - set(views))
    if unknown:
        raise SchemaMappingError(
            f"views {unknown} are not feature views of project {store.project} (known: {sorted(views)})."
        )
    return [feature_group_spec(views[name], settings, store.project) for name in chosen]


def plan_mirror(
    store: FeatureStore, settings: SageMakerSettings, clients: SageMakerClients
) -> list[GroupPlan]:
    """The plan of every mirrored view, from the Feast registry and SageMaker's current groups."""
    return [
        plan_group(
            spec,
            latest_group(clients, settings.group_prefix, spec.view, store.project),
            settings.group_prefix,
        )
        for spec in mirror_specs(store, settings)
    ]


def _serving_only(view) -> bool:
    return view.tags.get("serving_only") == "true"
