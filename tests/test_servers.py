"""The example scoring service, `feast serve` and `feast ui`, each over real HTTP on a free loopback port."""

import math

import pytest
import requests

from devtools.local_servers import free_port
from feature_repo.serving.service.scoring_service import DEFAULT_SCORE
from feature_repo.training.frames import training_frame
from tests.http_servers import http_server

USER_WITH_ORDERS_COUNT = 25


@pytest.fixture(scope="module")
def scoring_url(materialized_store, store_config):
    port = free_port()
    command = [
        "uvicorn",
        "feature_repo.serving.service.scoring_service:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    with http_server(
        command, port, ready_path="/docs", env={"FEAST_FS_YAML_FILE_PATH": str(store_config)}
    ) as url:
        yield url


def _expected_score(row) -> float:
    """The documented formula, written out again from the service's docstring."""
    orders = 0 if math.isnan(row.order_count_30d) else row.order_count_30d
    ratio = 1.0 if math.isnan(row.cart_amount_vs_mean_30d) else row.cart_amount_vs_mean_30d
    coupons = 0.0 if math.isnan(row.coupon_rate_30d) else row.coupon_rate_30d
    logit = 0.5 - 0.08 * orders + 0.6 * ratio - 0.6 + 1.5 * coupons
    return 1 / (1 + math.exp(-logit))


def test_scoring_service_returns_the_training_values(
    scoring_url, materialized_store, raw_tables, horizon
):
    import pandas as pd

    buyers = raw_tables[1]["user_id"].drop_duplicates().head(USER_WITH_ORDERS_COUNT).tolist()
    entities = pd.DataFrame(
        {
            "user_id": buyers,
            "event_timestamp": horizon,
            "request_time": horizon,
            "cart_amount": 27.0,
        }
    )
    offline = training_frame(materialized_store, entities, "checkout_model_v1")
    for row in offline.itertuples(index=False):
        response = requests.post(
            f"{scoring_url}/score/checkout",
            json={"user_id": row.user_id, "cart_amount": 27.0, "as_of": horizon.isoformat()},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["known_user"] is True
        assert body["features"]["order_count_30d"] == (
            None if math.isnan(row.order_count_30d) else row.order_count_30d
        )
        assert body["features"]["neighborhood"] == row.neighborhood
        assert body["coupon_offer_score"] == pytest.approx(_expected_score(row))


def test_scoring_service_unknown_user_and_bad_input(scoring_url, horizon):
    unknown = requests.post(
        f"{scoring_url}/score/checkout", json={"user_id": 5, "cart_amount": 10.0}, timeout=10
    )
    assert unknown.status_code == 200
    assert (
        unknown.json()["known_user"] is False
        and unknown.json()["coupon_offer_score"] == DEFAULT_SCORE
    )
    assert set(unknown.json()["statuses"].values()) == {"NOT_FOUND"}
    as_text = requests.post(
        f"{scoring_url}/score/checkout", json={"user_id": "5", "cart_amount": 10.0}, timeout=10
    )
    assert as_text.status_code == 422 and "user_id" in as_text.text
    no_cart = requests.post(f"{scoring_url}/score/checkout", json={"user_id": 5}, timeout=10)
    assert no_cart.status_code == 422 and "cart_amount" in no_cart.text


def test_feast_feature_server_serves_online_values(
    materialized_store, store_config, raw_tables, horizon
):
    import pandas as pd

    users = raw_tables[1]["user_id"].drop_duplicates().head(10).tolist()
    offline = training_frame(
        materialized_store,
        pd.DataFrame({"user_id": users, "event_timestamp": horizon, "request_time": horizon}),
        "churn_model_v1",
    )
    port = free_port()
    command = [
        "feast",
        "-f",
        str(store_config),
        "serve",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--max-requests",
        "0",
        "--no-access-log",
    ]
    with http_server(command, port, ready_path="/health") as url:
        response = requests.post(
            f"{url}/get-online-features",
            json={
                "feature_service": "churn_model_v1",
                "entities": {"user_id": users, "request_time": [horizon.isoformat()] * len(users)},
            },
            timeout=30,
        )
    assert response.status_code == 200, response.text
    body = response.json()
    names = body["metadata"]["feature_names"]
    by_name = {
        name: result["values"] for name, result in zip(names, body["results"], strict=True)
    }  # read by name
    assert by_name["user_id"] == users
    for feature in ("order_count_30d", "spend_sum_90d", "neighborhood", "tenure_days"):
        expected = [
            None if (isinstance(v, float) and math.isnan(v)) else v for v in offline[feature]
        ]
        assert by_name[feature] == pytest.approx(expected), feature


def test_feast_ui_serves_its_page(store_config):
    port = free_port()
    with http_server(
        ["feast", "-f", str(store_config), "ui", "-h", "127.0.0.1", "-p", str(port)], port
    ) as url:
        page = requests.get(url, timeout=10)
        projects = requests.get(f"{url}/projects-list.json", timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert projects.status_code == 200 and "delivery_test" in projects.text


def test_lean_get_online_features_route_returns_the_training_values(
    scoring_url, materialized_store, raw_tables, horizon
):
    """The scoring service's /get-online-features (lean reader) in Feast's JSON shape."""
    import pandas as pd

    users = raw_tables[1]["user_id"].drop_duplicates().head(20).tolist() + [5]
    offline = training_frame(
        materialized_store,
        pd.DataFrame({"user_id": users, "event_timestamp": horizon, "request_time": horizon}),
        "churn_model_v1",
    )
    response = requests.post(
        f"{scoring_url}/get-online-features",
        json={
            "feature_service": "churn_model_v1",
            "entities": {"user_id": users, "request_time": [horizon.isoformat()] * len(users)},
            "as_of": horizon.isoformat(),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    by_name = dict(zip(body["metadata"]["feature_names"], body["results"], strict=True))
    assert by_name["user_id"]["values"] == users
    assert len(by_name) == 1 + 34
    for feature in ("order_count_30d", "spend_sum_90d", "neighborhood", "tenure_days"):
        expected = [
            None if (isinstance(v, float) and math.isnan(v)) else v for v in offline[feature]
        ]
        assert by_name[feature]["values"] == pytest.approx(expected), feature
    assert by_name["neighborhood"]["statuses"][-1] == "NOT_FOUND"  # user 5 is unknown
    assert by_name["neighborhood"]["statuses"][0] == "PRESENT"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            {"feature_service": "fraud_v9", "entities": {"user_id": [1]}},
            "Unknown feature service 'fraud_v9'",
        ),
        ({"features": ["user_profile:height"], "entities": {"user_id": [1]}}, "feature 'height'"),
        (
            {"feature_service": "churn_model_v1", "entities": {"user_id": ["1"]}},
            "'user_id' must be INT64",
        ),
        ({"feature_service": "churn_model_v1", "entities": {"user_id": []}}, "non-empty list"),
        ({"feature_service": "churn_model_v1", "entities": {"account": [1]}}, "join key 'user_id'"),
        ({"feature_service": "churn_model_v1"}, '"entities"'),
        (
            {"feature_service": "checkout_model_v1", "entities": {"user_id": [1]}},
            "request field 'cart_amount'",
        ),
    ],
)
def test_lean_route_bad_input_is_a_clear_422(scoring_url, body, says):
    response = requests.post(f"{scoring_url}/get-online-features", json=body, timeout=10)
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"] and "Traceback" not in response.text
    garbage = requests.post(f"{scoring_url}/get-online-features", data="{not json", timeout=10)
    assert garbage.status_code == 422 and "not JSON" in garbage.json()["detail"]
