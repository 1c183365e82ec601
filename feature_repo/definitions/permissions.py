"""Who may read which features: Feast permissions, applied by ``feast apply``, enforced by Feast's
online, offline and registry servers when their profile sets ``auth: type: oidc``.

Roles (from the token's ``resource_access.<client_id>.roles`` or ``roles`` claim):

- ``serving``: reads online the views of the services it serves; nothing offline.
- ``data-scientist``: reads every view without personal data, online and offline.
- ``pii-reader``: the only role that reads a view carrying personal data, online or offline.
- ``admin``: the only role that creates, updates or deletes definitions.

Every role may describe the definitions (metadata only, no feature values).

Feast 0.67 grants a request when ANY permission matching the resource and action lets the user
through (and a policy's roles are alternatives), so the personal-data rule is expressed by
never naming a base role on a personal view: only ``pii-reader`` reaches one. The views are
sorted by their ``personal_data`` tag, found by scanning every module of the definitions, so a
new view is covered without editing this file; a view without the tag counts as personal.
Permissions match views by name here because 0.67's ``required_tags`` filter does not work
(it reads an attribute no Feast object has, and so matches every resource).
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from feast import FeatureService, FeatureView, OnDemandFeatureView
from feast.data_source import DataSource
from feast.feast_object import ALL_RESOURCE_TYPES
from feast.permissions.action import CRUD, AuthzedAction
from feast.permissions.permission import Permission
from feast.permissions.policy import RoleBasedPolicy

import feature_repo.definitions as definitions_package
from feature_repo.definitions.tags import carries_personal_data

SERVING, DATA_SCIENTIST, PII_READER, ADMIN = (
    "serving",
    "data-scientist",
    "pii-reader",
    "admin",
)
ROLES = (SERVING, DATA_SCIENTIST, PII_READER, ADMIN)
SERVED_SERVICES = ("checkout_model_v1", "churn_model_v1")
READ_ONLINE, READ_OFFLINE = AuthzedAction.READ_ONLINE, AuthzedAction.READ_OFFLINE
ONLINE, BOTH_STORES = [READ_ONLINE], [READ_ONLINE, READ_OFFLINE]
VIEW_TYPES = [FeatureView, OnDemandFeatureView]


def definitions_by_name() -> dict[str, object]:
    """Every view and service of the definitions' modules, by name."""
    found: dict[str, object] = {}
    for module_info in pkgutil.iter_modules(definitions_package.__path__):
        if module_info.name == __name__.rsplit(".", 1)[-1]:
            continue
        module = importlib.import_module(f"{definitions_package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, FeatureView | OnDemandFeatureView | FeatureService):
                found.setdefault(value.name, value)
    return found


def _service_is_personal(service: FeatureService, views: dict[str, object]) -> bool:
    read = [views.get(p.name) for p in service.feature_view_projections]
    return carries_personal_data(service.tags) or any(
        view is None or carries_personal_data(view.tags) for view in read
    )


def _patterns(names) -> list[str]:
    # A pattern list must never be empty: Feast treats [] as "every name".
    return [re.escape(name) for name in sorted(names)] or ["(?!)"]


def _reads(name: str, types, names, actions, role: str) -> Permission:
    """``role`` may perform the read ``actions`` on the objects of ``types`` named in ``names``."""
    return Permission(
        name=name,
        types=types,
        name_patterns=_patterns(names),
        actions=list(actions),
        policy=RoleBasedPolicy(roles=[role]),
    )


def permissions_for(objects: dict[str, object]) -> list[Permission]:
    """The permissions for these views and services (by name), sorted by their tags."""
    views = {n: o for n, o in objects.items() if not isinstance(o, FeatureService)}
    services = {n: o for n, o in objects.items() if isinstance(o, FeatureService)}
    personal_views = sorted(n for n, v in views.items() if carries_personal_data(v.tags))
    other_views = sorted(n for n in views if n not in personal_views)
    served = {
        p.name
        for s in SERVED_SERVICES
        if s in services
        for p in services[s].feature_view_projections
    }
    # a serving-only view (the order ledger) is read by serving code for the view it serves
    served |= {n for n, v in views.items() if v.tags.get("serves") in served}
    served_views = sorted(served & set(other_views))
    personal_services = sorted(n for n, s in services.items() if _service_is_personal(s, views))
    other_services = sorted(n for n in services if n not in personal_services)

    describe_definitions = Permission(
        name="describe-definitions",
        types=ALL_RESOURCE_TYPES,
        actions=[AuthzedAction.DESCRIBE],
        policy=RoleBasedPolicy(roles=list(ROLES)),
    )
    admin_manages_definitions = Permission(
        name="admin-manages-definitions",
        types=ALL_RESOURCE_TYPES,
        actions=[*CRUD, AuthzedAction.WRITE_ONLINE, AuthzedAction.WRITE_OFFLINE],
        policy=RoleBasedPolicy(roles=[ADMIN]),
    )
    admin_reads_sources = (
        Permission(  # materialization through the offline server reads the sources
            name="admin-reads-sources",
            types=[DataSource],
            actions=[READ_OFFLINE],
            policy=RoleBasedPolicy(roles=[ADMIN]),
        )
    )
    pii_reader_reads_personal_views = _reads(
        "pii-reader-reads-personal-views", VIEW_TYPES, personal_views, BOTH_STORES, PII_READER
    )
    pii_reader_reads_personal_services = _reads(
        "pii-reader-reads-personal-services",
        [FeatureService],
        personal_services,
        ONLINE,
        PII_READER,
    )
    data_scientist_reads_other_views = _reads(
        "data-scientist-reads-non-personal-views", VIEW_TYPES, other_views, BOTH_STORES,
        DATA_SCIENTIST,
    )  # fmt: skip
    data_scientist_reads_other_services = _reads(
        "data-scientist-reads-non-personal-services", [FeatureService], other_services, ONLINE,
        DATA_SCIENTIST,
    )  # fmt: skip
    serving_reads_served_views_online = _reads(
        "serving-reads-served-views-online", VIEW_TYPES, served_views, ONLINE, SERVING
    )
    serving_reads_served_services_online = _reads(
        "serving-reads-served-services-online", [FeatureService],
        set(SERVED_SERVICES) & set(other_services), ONLINE, SERVING,
    )  # fmt: skip
    return [
        describe_definitions,
        admin_manages_definitions,
        admin_reads_sources,
        pii_reader_reads_personal_views,
        pii_reader_reads_personal_services,
        data_scientist_reads_other_views,
        data_scientist_reads_other_services,
        serving_reads_served_views_online,
        serving_reads_served_services_online,
    ]


PERMISSIONS = permissions_for(definitions_by_name())
# Module-level names: `feast apply` collects the Permission objects it finds in the module.
(
    describe_definitions,
    admin_manages_definitions,
    admin_reads_sources,
    pii_reader_reads_personal_views,
    pii_reader_reads_personal_services,
    data_scientist_reads_other_views,
    data_scientist_reads_other_services,
    serving_reads_served_views_online,
    serving_reads_served_services_online,
) = PERMISSIONS
