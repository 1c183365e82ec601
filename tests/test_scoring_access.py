"""Access control of the scoring service (feature_repo/serving/service/scoring_service.py) under the secured
profile, with the project's OIDC provider: every route but the public ones refuses a request without
a valid token, and each route serves each identity exactly what its roles may read.

What each identity may read follows from feature_repo/definitions/permissions.py, written out again
here by hand: ``serving`` and ``data-scientist`` read the non-personal views, ``pii-reader`` the
personal one (``user_profile``), and a lookup needs READ_ONLINE on the service AND on every view it
reads (an on-demand view's sources included), so only ``checkout-service`` (serving + pii-reader)
reads a service or view mixing both.
"""

from __future__ import annotations

import pytest
import requests
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from tests.access_setup import (
    IDENTITIES,
    bad_tokens,
    provider_token,
)

pytestmark = pytest.mark.integration

USERS = 3
PERSONAL = {"gender", "neighborhood", "age_years", "service_type", "operating_system",
            "registration_channel"}  # fmt: skip
# what the body asks for -> (the views a refusal may name, the identities that may read it)
LOOKUPS = {
    "service checkout_model_v1": (
        {"feature_service": "checkout_model_v1"},
        {
            "checkout_model_v1",
            "user_profile",
            "user_order_stats",
            "user_recency",
            "checkout_context",
        },
        {"checkout-service"},
    ),
    "service churn_model_v1": (
        {"feature_service": "churn_model_v1"},
        {"churn_model_v1", "user_profile", "user_order_stats", "user_recency"},
        {"checkout-service"},
    ),
    "features of user_order_stats (non-personal)": (
        {"features": ["user_order_stats:order_count_30d", "user_order_stats:spend_sum_30d"]},
        {"user_order_stats"},
        {"serving", "data-scientist", "checkout-service"},
    ),
    "feature user_profile:gender (personal)": (
        {"features": ["user_profile:gender"]},
        {"user_profile"},
        {"pii-reader", "checkout-service"},
    ),
    "features of both views": (
        {"features": ["user_order_stats:order_count_30d", "user_profile:gender"]},
        {"user_order_stats", "user_profile"},
        {"checkout-service"},
    ),
    "on-demand user_recency (reads the personal profile)": (
        {"features": ["user_recency:days_since_last_order"]},
        {"user_recency", "user_profile", "user_order_stats"},
        {"checkout-service"},
    ),
}
CHECKED_VALUES = {"order_count_30d": "user_order_stats:order_count_30d",
                  "gender": "user_profile:gender"}  # fmt: skip


@pytest.fixture(scope="module")
def users(raw_tables):
    return raw_tables[1]["user_id"].drop_duplicates().head(USERS).tolist()


@pytest.fixture(scope="module")
def churn_model(secure_store, tmp_path_factory):
    """A churn model trained on the secured store (direct credentials) into a registry of its own."""
    from feature_repo.model.registry import load_model
    from feature_repo.training.churn import train_churn_model

    registry = f"sqlite:///{tmp_path_factory.mktemp('secure_churn') / 'mlflow.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", registry)
        train_churn_model(secure_store[1])
        return registry, load_model()


@pytest.fixture(scope="module")
def scoring_url(secure_store, provider, churn_model):
    from devtools.local_servers import free_port, http_server

    port = free_port()
    command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    env = {"FEAST_FS_YAML_FILE_PATH": str(secure_store[0]), "MLFLOW_TRACKING_URI": churn_model[0]}
    with http_server(command, port, ready_path="/openapi.json", env=env) as url:
        yield url


@pytest.fixture(scope="module")
def tokens(provider):
    return {identity: provider_token(provider, identity) for identity in IDENTITIES}


def _post(url: str, body: dict, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(url, json=body, headers=headers, timeout=30)


def _routes(routes, prefix: str = "") -> list[tuple[str, str]]:
    """(method, path) of every route, those of included routers too (FastAPI 0.16x keeps an
    included router whole, as an object with ``original_router``; older releases copy its routes)."""
    found = []
    for route in routes:
        if isinstance(route, Route | APIRoute):
            found += [(method, prefix + route.path) for method in sorted(route.methods or ())]
        elif hasattr(route, "original_router"):
            found += _routes(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            found += _routes(route.routes, prefix + route.path)
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return found


def test_every_route_but_the_public_ones_refuses_a_request_without_a_token(scoring_url, provider):
    """A new route cannot be added without a decision: it needs a token, or it is listed in
    PUBLIC_ROUTES on purpose. Each method of each route is called with no token, then with each
    bad token, and with an empty body (the token is checked before the body is read)."""
    from feature_repo.serving.service.auth import PUBLIC_ROUTES
    from feature_repo.serving.service.scoring_service import app

    routes = _routes(app.routes)
    documented = app.openapi()["paths"]
    assert {(m.upper(), p) for p, ms in documented.items() for m in ms} <= set(routes)
    protected = [(method, path) for method, path in routes if path not in PUBLIC_ROUTES]
    assert {path for _, path in protected} >= {
        "/score/checkout", "/get-online-features", "/push-orders", "/score/churn",
    }  # fmt: skip
    for case, token in bad_tokens(provider).items():
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path in protected:
            answer = requests.request(method, scoring_url + path, headers=headers, timeout=30)
            assert answer.status_code == 401, f"{method} {path}, {case}: {answer.status_code}"
            assert answer.headers.get("WWW-Authenticate") == "Bearer", (method, path)
    for path in PUBLIC_ROUTES & {path for _, path in routes}:
        assert requests.get(scoring_url + path, timeout=30).status_code == 200, path


def test_get_online_features_serves_each_role_exactly_what_it_may_read(
    scoring_url, tokens, secure_store, users, horizon
):
    direct = secure_store[1]  # Feast's own read, with the store's credentials
    expected = direct.get_online_features(
        features=list(CHECKED_VALUES.values()), entity_rows=[{"user_id": u} for u in users]
    ).to_dict()
    entities = {"user_id": users, "request_time": [horizon.isoformat()] * len(users),
                "cart_amount": [30.0] * len(users)}  # fmt: skip
    for case, (asked, resources, allowed) in LOOKUPS.items():
        body = {**asked, "entities": entities, "as_of": horizon.isoformat()}
        for identity in IDENTITIES:
            answer = _post(f"{scoring_url}/get-online-features", body, tokens[identity])
            if identity in allowed:
                assert answer.status_code == 200, f"{case}, {identity}: {answer.text}"
                names = answer.json()["metadata"]["feature_names"]
                results = dict(zip(names, answer.json()["results"], strict=True))
                assert results["user_id"]["values"] == users
                for name in CHECKED_VALUES.keys() & results.keys():
                    assert results[name]["values"] == expected[name], (case, identity, name)
            else:
                assert answer.status_code == 403, f"{case}, {identity}: {answer.text}"
                detail = answer.json()["detail"]
                assert any(f":{r}:" in detail for r in resources), (case, identity, detail)
                assert "Requires roles" in detail, detail
                assert not PERSONAL & set(answer.text.split('"')), answer.text


def test_get_online_features_rejects_missing_expired_forged_and_foreign_tokens(
    scoring_url, provider, users, horizon
):
    for case, (asked, _, _) in LOOKUPS.items():
        body = {**asked, "entities": {"user_id": users}, "as_of": horizon.isoformat()}
        for kind, token in bad_tokens(provider).items():
            answer = _post(f"{scoring_url}/get-online-features", body, token)
            assert answer.status_code == 401, f"{case}, {kind}: {answer.status_code} {answer.text}"
            assert "values" not in answer.text


def test_get_online_features_names_an_unknown_service_or_view(scoring_url, tokens, users):
    entities = {"user_id": users}
    for asked, named in (({"feature_service": "no_such_service"}, "no_such_service"),
                         ({"features": ["no_such_view:x"]}, "no_such_view"),
                         ({"features": ["not a reference"]}, "not a reference")):  # fmt: skip
        answer = _post(
            f"{scoring_url}/get-online-features",
            {**asked, "entities": entities},
            tokens["checkout-service"],
        )
        assert answer.status_code == 422, answer.text
        assert named in answer.json()["detail"], answer.text


def test_score_checkout_serves_only_what_the_caller_may_read(
    scoring_url, provider, tokens, secure_store, users, horizon
):
    direct = secure_store[1]
    expected = direct.get_online_features(
        features=["user_order_stats:order_count_30d", "user_profile:neighborhood"],
        entity_rows=[{"user_id": u} for u in users],
    ).to_dict()

    def score(user: int, token: str | None) -> requests.Response:
        body = {"user_id": user, "cart_amount": 30.0, "as_of": horizon.isoformat()}
        return _post(f"{scoring_url}/score/checkout", body, token)

    for index, user in enumerate(users):
        answer = score(user, tokens["checkout-service"])  # serving + pii-reader
        assert answer.status_code == 200, answer.text
        features = answer.json()["features"]
        assert features["order_count_30d"] == expected["order_count_30d"][index]
        assert features["neighborhood"] == expected["neighborhood"][index]
    denials = {
        "serving": ({"user_profile"}, "pii-reader"),
        "data-scientist": ({"user_profile", "checkout_model_v1"}, "pii-reader"),
        "pii-reader": ({"user_order_stats", "user_recency", "checkout_context"}, "serving"),
        "admin": (
            {"user_profile", "user_order_stats", "user_recency", "checkout_context"},
            "pii-reader",
        ),
    }
    for identity, (resources, role) in denials.items():
        answer = score(users[0], tokens[identity])
        assert answer.status_code == 403, answer.text
        detail = answer.json()["detail"]
        assert any(f":{r}:" in detail for r in resources), detail
        assert f"'{role}'" in detail or identity == "admin", detail
        assert "neighborhood" not in answer.text
    for case, bad in bad_tokens(provider).items():
        answer = score(users[0], bad)
        assert answer.status_code == 401, f"{case}: {answer.text}"


def test_push_orders_is_for_admin_only(scoring_url, tokens):
    """An empty order list: the caller is judged before the body (422 for admin, 403 for others)."""
    for identity in IDENTITIES:
        answer = _post(f"{scoring_url}/push-orders", {"orders": []}, tokens[identity])
        if identity == "admin":
            assert answer.status_code == 422, answer.text
        else:
            assert answer.status_code == 403, f"{identity}: {answer.text}"
            assert "'admin'" in answer.json()["detail"], answer.text


def test_score_churn_serves_only_callers_who_may_read_the_models_service(
    scoring_url, provider, tokens, secure_store, churn_model, users, horizon
):
    """The churn model reads ``churn_model_v1`` (order statistics, recency and the personal profile):
    only ``checkout-service`` (serving + pii-reader) may call it; its scores equal the in-process
    scorer's on a direct read of the store."""
    from feature_repo.serving.lookup.churn import ChurnScorer

    model = churn_model[1]
    assert model.record.feature_service == "churn_model_v1"
    expected = ChurnScorer(secure_store[1], model).score(users, now=horizon.to_pydatetime())
    body = {"user_ids": users, "as_of": horizon.isoformat()}
    resources = {"churn_model_v1", "user_profile", "user_order_stats", "user_recency"}
    for identity in IDENTITIES:
        answer = _post(f"{scoring_url}/score/churn", body, tokens[identity])
        if identity == "checkout-service":
            assert answer.status_code == 200, answer.text
            scores = answer.json()["scores"]
            assert [s["user_id"] for s in scores] == [e.user_id for e in expected]
            for score, want in zip(scores, expected, strict=True):
                assert score["churn_probability"] == pytest.approx(want.probability, abs=1e-12)
        else:
            assert answer.status_code == 403, f"{identity}: {answer.text}"
            detail = answer.json()["detail"]
            assert any(f":{r}:" in detail for r in resources), (identity, detail)
            assert "churn_probability" not in answer.text
    for case, bad in bad_tokens(provider).items():
        answer = _post(f"{scoring_url}/score/churn", body, bad)
        assert answer.status_code == 401, f"{case}: {answer.text}"
