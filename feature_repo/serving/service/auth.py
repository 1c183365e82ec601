"""Who is calling the scoring service, and may they read what it serves.

The service reads the online store with its own credentials, so Feast's servers never see the
caller. This module applies the same rules before any lookup: with a profile whose ``auth`` is
``oidc`` (profiles/feature_store.secure.yaml), a request needs ``Authorization: Bearer <token>``;
the token is validated by Feast's own OIDC parser (the provider's discovery document and keys,
audience, issuer, expiry), and the caller's roles must pass the registry's permissions for
``READ_ONLINE`` on the feature service AND on every view it reads (Feast's feature server checks
only the service; here a caller needs the roles of each part, e.g. ``serving`` for the order
statistics and ``pii-reader`` for the profile). With ``auth: no_auth`` (the default profile, for
local use) every caller is let through.

    @app.post("/score/checkout")
    def score(..., caller: User | None = Depends(checkout_caller)): ...

A route whose resources are named in its body (``/get-online-features``) depends on
``authenticated_caller`` (401 before the body is read), then calls ``authorize_lookup`` with what
the body asks for. Every route of the service is refused without a token unless it is listed in
``PUBLIC_ROUTES`` (tests/test_access_control.py walks them all).
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import HTTPException, Request
from feast import FeatureStore
from feast.errors import FeastObjectNotFoundException, FeastPermissionError
from feast.feast_object import FeastObject
from feast.permissions.action import AuthzedAction
from feast.permissions.auth.oidc_token_parser import OidcTokenParser
from feast.permissions.enforcer import enforce_policy
from feast.permissions.user import User
from starlette.authentication import AuthenticationError

from feature_repo.core.feature_refs import FeatureRefError, parse_feature_ref
from feature_repo.serving.lookup.checkout import CHECKOUT_SERVICE

BEARER = "bearer "
# Routes answered without a token, on purpose: the OpenAPI document and its viewers, the probes and
# the metrics (no feature values; serve /metrics on an internal network, as is usual). Every other
# route of the scoring service needs a valid token under ``auth: oidc``.
PUBLIC_ROUTES = frozenset(
    {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/healthz", "/readyz", "/metrics"}
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}


@lru_cache(maxsize=1)
def _store() -> FeatureStore:
    from feature_repo.repository.store import open_store

    return open_store()


@lru_cache(maxsize=1)
def _token_parser(store: FeatureStore) -> OidcTokenParser | None:
    auth = store.config.auth_config
    return OidcTokenParser(auth_config=auth) if auth.type == "oidc" else None


def resources_read_by(store: FeatureStore, service_name: str) -> list[FeastObject]:
    """Every view the service's online lookup reads (on-demand views' sources too), then the service."""
    service = store.get_feature_service(service_name, allow_cache=True)
    return [*_views_read(store, [p.name for p in service.feature_view_projections]), service]


def resources_of_references(store: FeatureStore, references: list[str]) -> list[FeastObject]:
    """Every view a lookup of ``view[@vN]:feature`` references reads (on-demand views' sources too)."""
    return _views_read(store, [parse_feature_ref(reference).view for reference in references])


def _views_read(store: FeatureStore, view_names: list[str]) -> list[FeastObject]:
    """The views named and, for an on-demand view, the views it reads, each once."""
    resources: list[FeastObject] = []
    pending = list(view_names)
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            resources.append(store.get_feature_view(name, allow_registry_cache=True))
        except FeastObjectNotFoundException:
            view = store.get_on_demand_feature_view(name, allow_registry_cache=True)
            resources.append(view)
            pending += [p.name for p in view.source_feature_view_projections.values()]
    return resources


async def authorized_caller(
    request: Request, service_name: str, store: FeatureStore | None = None
) -> User | None:
    """The validated caller, once it may read ``service_name`` online; None without auth.

    Raises HTTP 401 for a missing or invalid token, 403 naming the resource and the roles it needs.
    """
    store = store or _store()
    return await _permitted_caller(
        request, store, lambda: resources_read_by(store, service_name), AuthzedAction.READ_ONLINE
    )


async def writer_caller(request: Request, view_names: list[str]) -> User | None:
    """The validated caller, once it may write the views ``view_names`` online (``admin``)."""
    store = _store()
    return await _permitted_caller(
        request,
        store,
        lambda: [store.get_feature_view(n, allow_registry_cache=True) for n in view_names],
        AuthzedAction.WRITE_ONLINE,
    )


def authorize_lookup(caller: User | None, service_name: str | None, references: list[str]) -> None:
    """Refuse (HTTP 403, naming the resource and the roles it needs) unless ``caller`` may read
    online the service ``service_name`` and every view it reads or, without a service, every view
    of the feature ``references``. Nothing to check without auth (``caller`` None).

    An unknown service, view or reference answers 422, naming it."""
    if caller is None:
        return
    store = _store()
    try:
        if service_name:
            resources = resources_read_by(store, service_name)
        else:
            resources = resources_of_references(store, references)
    except (FeastObjectNotFoundException, FeatureRefError) as error:
        raise HTTPException(422, f"/get-online-features: {error}") from error
    _enforce(store, caller, resources, AuthzedAction.READ_ONLINE)


async def authenticated_caller(request: Request) -> User | None:
    """The caller of a valid bearer token (HTTP 401 otherwise); None without auth.

    A route whose resources are known only from its body depends on this, so that a request
    without a valid token is refused before its body is read."""
    return await _authenticated(request, _store())


async def _permitted_caller(
    request: Request, store: FeatureStore, resources, action
) -> User | None:
    user = await _authenticated(request, store)
    if user is not None:
        _enforce(store, user, resources(), action)
    return user


def _enforce(store: FeatureStore, user: User, resources: list[FeastObject], action) -> None:
    """HTTP 403 naming the resource and the roles it needs, unless ``user`` may ``action`` them all."""
    try:
        enforce_policy(
            permissions=store.list_permissions(allow_cache=True),
            user=user,
            resources=resources,
            actions=[action],
        )
    except FeastPermissionError as error:
        raise HTTPException(403, f"{user.username} (roles {user.roles}): {error}") from error


async def _authenticated(request: Request, store: FeatureStore) -> User | None:
    parser = _token_parser(store)
    if parser is None:
        return None
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith(BEARER):
        raise HTTPException(
            401,
            "missing bearer token: send `Authorization: Bearer <access token>` issued by the "
            "identity provider configured in the profile's `auth` section",
            headers=CHALLENGE,
        )
    try:
        user = await parser.user_details_from_access_token(header[len(BEARER) :].strip())
    except AuthenticationError as error:
        raise HTTPException(401, f"invalid access token: {error}", headers=CHALLENGE) from error
    return user


async def checkout_caller(request: Request) -> User | None:
    """FastAPI dependency of the checkout endpoint."""
    return await authorized_caller(request, CHECKOUT_SERVICE)
