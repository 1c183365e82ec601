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

SERVING, DATA_SCIENTIST, PII_READER, ADMIN = "serving", "data-scientist", "pii-reader", "admin"
ROLES = (SERVING, DATA_SCIENTIST, PII_READER, ADMIN)
SERVED_SERVICES = ("checkout_model_v1", "churn_model_v1")
READ_ONLINE, READ_OFFLINE = AuthzedAction.READ_ONLINE, AuthzedAction.READ_OFFLINE
VIEW_TYPES = [FeatureView, OnDemandFeatureView]


def _definitions() -> dict[str, object]:
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


_objects = _definitions()
_views = {n: o for n, o in _objects.items() if not isinstance(o, FeatureService)}
_services = {n: o for n, o in _objects.items() if isinstance(o, FeatureService)}
PERSONAL_VIEWS = sorted(n for n, v in _views.items() if carries_personal_data(v.tags))
OTHER_VIEWS = sorted(n for n in _views if n not in PERSONAL_VIEWS)
SERVED_VIEWS = sorted(
    {p.name for s in SERVED_SERVICES if s in _services for p in _services[s].feature_view_projections}
    & set(OTHER_VIEWS)
)
PERSONAL_SERVICES = sorted(n for n, s in _services.items() if _service_is_personal(s, _views))
OTHER_SERVICES = sorted(n for n in _services if n not in PERSONAL_SERVICES)

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
admin_reads_sources = Permission(  # materialization through the offline server reads the sources
    name="admin-reads-sources",
    types=[DataSource],
    actions=[READ_OFFLINE],
    policy=RoleBasedPolicy(roles=[ADMIN]),
)
pii_reader_reads_personal_views = Permission(
    name="pii-reader-reads-personal-views",
    types=VIEW_TYPES,
    name_patterns=_patterns(PERSONAL_VIEWS),
    actions=[READ_ONLINE, READ_OFFLINE],
    policy=RoleBasedPolicy(roles=[PII_READER]),
)
pii_reader_reads_personal_services = Permission(
    name="pii-reader-reads-personal-services",
    types=[FeatureService],
    name_patterns=_patterns(PERSONAL_SERVICES),
    actions=[READ_ONLINE],
    policy=RoleBasedPolicy(roles=[PII_READER]),
)
data_scientist_reads_other_views = Permission(
    name="data-scientist-reads-non-personal-views",
    types=VIEW_TYPES,
    name_patterns=_patterns(OTHER_VIEWS),
    actions=[READ_ONLINE, READ_OFFLINE],
    policy=RoleBasedPolicy(roles=[DATA_SCIENTIST]),
)
data_scientist_reads_other_services = Permission(
    name="data-scientist-reads-non-personal-services",
    types=[FeatureService],
    name_patterns=_patterns(OTHER_SERVICES),
    actions=[READ_ONLINE],
    policy=RoleBasedPolicy(roles=[DATA_SCIENTIST]),
)
serving_reads_served_views_online = Permission(
    name="serving-reads-served-views-online",
    types=VIEW_TYPES,
    name_patterns=_patterns(SERVED_VIEWS),
    actions=[READ_ONLINE],
    policy=RoleBasedPolicy(roles=[SERVING]),
)
serving_reads_served_services_online = Permission(
    name="serving-reads-served-services-online",
    types=[FeatureService],
    name_patterns=_patterns(set(SERVED_SERVICES) & set(OTHER_SERVICES)),
    actions=[READ_ONLINE],
    policy=RoleBasedPolicy(roles=[SERVING]),
)

PERMISSIONS = [
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
