"""The permissions follow the definitions' personal_data tags; the catalogue says what Feast decides."""

from datetime import timedelta

import pytest
from feast import FeatureService, FeatureView, Field
from feast.errors import FeastPermissionError
from feast.permissions.action import AuthzedAction
from feast.permissions.enforcer import enforce_policy
from feast.permissions.user import User
from feast.types import Int64

from feature_repo.definitions.entities import user
from feature_repo.definitions.permissions import ROLES, definitions_by_name, permissions_for
from feature_repo.definitions.sources import user_profile_source
from feature_repo.definitions.tags import view_tags

READ_ONLINE, READ_OFFLINE = AuthzedAction.READ_ONLINE, AuthzedAction.READ_OFFLINE


def _readers(permissions, resource, action) -> set[str]:
    allowed = set()
    for role in ROLES:
        try:
            enforce_policy(permissions, User(role, roles=[role]), [resource], [action])
        except FeastPermissionError:
            continue
        allowed.add(role)
    return allowed


def _new_view(name: str, tags: dict[str, str]) -> FeatureView:
    return FeatureView(
        name=name,
        entities=[user],
        ttl=timedelta(days=1),
        schema=[Field(name="some_count", dtype=Int64)],
        source=user_profile_source,
        tags=tags,
    )


@pytest.mark.parametrize(
    ("tags", "online", "offline"),
    [
        (view_tags(personal_data=True), {"pii-reader"}, {"pii-reader"}),
        (view_tags(personal_data=False), {"data-scientist"}, {"data-scientist"}),
        (
            {"owner": "someone"},
            {"pii-reader"},
            {"pii-reader"},
        ),  # no tag: personal until said otherwise
    ],
)
def test_a_new_view_is_covered_by_its_tag_without_editing_the_permissions(tags, online, offline):
    view = _new_view("new_view", tags)
    permissions = permissions_for({**definitions_by_name(), view.name: view})
    assert _readers(permissions, view, READ_ONLINE) == online
    assert _readers(permissions, view, READ_OFFLINE) == offline


def test_a_service_reading_a_personal_view_needs_pii_reader():
    objects = definitions_by_name()
    profile = objects["user_profile"]
    service = FeatureService(
        name="new_service",
        features=[profile[["service_type"]]],
        tags=view_tags(personal_data=False),  # the service's own tag is overruled by its view's
    )
    permissions = permissions_for({**objects, service.name: service})
    assert _readers(permissions, service, READ_ONLINE) == {"pii-reader"}


def test_the_repository_roles():
    objects = definitions_by_name()
    permissions = permissions_for(objects)
    expected_online = {
        "user_profile": {"pii-reader"},
        "user_order_stats": {"serving", "data-scientist"},
        "user_order_ledger": {"serving", "data-scientist"},  # serves user_order_stats
        "user_recency": {"serving", "data-scientist"},
        "checkout_context": {"serving", "data-scientist"},
        "transaction_features": {"data-scientist"},
        "checkout_model_v1": {"pii-reader"},
        "churn_model_v1": {"pii-reader"},
        "transaction_analytics_v1": {"data-scientist"},
    }
    assert {n: _readers(permissions, o, READ_ONLINE) for n, o in objects.items()} == expected_online
    for name, view in objects.items():
        if not isinstance(view, FeatureService):
            assert "serving" not in _readers(permissions, view, READ_OFFLINE), name
            for action in (AuthzedAction.CREATE, AuthzedAction.UPDATE, AuthzedAction.DELETE):
                assert _readers(permissions, view, action) == {"admin"}, (name, action)
