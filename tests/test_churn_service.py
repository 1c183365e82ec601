"""``POST /score/churn`` on the scoring service (a real uvicorn process): the registered model's scores
equal the in-process scorer's, what was served is logged (Feast's columns, the request id, the
prediction) within a flush interval, and without a model the route answers 503 saying what to do
while the other routes serve."""

from __future__ import annotations

import time

import duckdb
import pytest
import requests

from feature_repo.core.paths import data_dir
from feature_repo.serving.lookup.churn import ChurnScorer
from feature_repo.training.churn import train_churn_model

pytestmark = pytest.mark.integration
USERS = 20


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('churn_service') / 'mlflow.db'}"


@pytest.fixture(scope="module")
def model(materialized_store, registry):
    from feature_repo.model.registry import load_model

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", registry)
        train_churn_model(materialized_store)
        return load_model()


def _service(store_config, env: dict):
    from devtools.local_servers import free_port, http_server

    port = free_port()
    command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    return http_server(command, port, ready_path="/openapi.json",
                       env={"FEAST_FS_YAML_FILE_PATH": str(store_config), **env})  # fmt: skip


def test_scores_equal_the_scorer_and_what_was_served_is_logged(
    materialized_store, store_config, model, registry, raw_tables, horizon
):
    users = raw_tables[0]["user_id"].tolist()[:USERS] + [1]
    expected = ChurnScorer(materialized_store, model).score(users, now=horizon.to_pydatetime())
    logs = data_dir() / "feature_logs" / "churn_model_v1"
    env = {"MLFLOW_TRACKING_URI": registry, "DELIVERY_FS_LOG_FLUSH_SECONDS": "1"}
    with _service(store_config, env) as url:
        answer = requests.post(
            f"{url}/score/churn",
            json={"user_ids": users, "as_of": horizon.isoformat()},
            headers={"X-Request-ID": "parity-check-1"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Request-ID"] == "parity-check-1"
        body = answer.json()
        assert body["model"] == {"name": "churn_model", "version": model.record.version,
                                 "feature_service": "churn_model_v1"}  # fmt: skip
        for score, want in zip(body["scores"], expected, strict=True):
            assert score["user_id"] == want.user_id
            assert score["churn_probability"] == pytest.approx(want.probability, abs=1e-12)
            assert score["known_user"] == want.known_user
            assert score["statuses"] == {k: v.value for k, v in want.statuses.items()}
        assert body["scores"][-1]["known_user"] is False
        for bad in ({"user_ids": []}, {"user_ids": ["112312"]}, {"user_ids": [1] * 1001}):
            refused = requests.post(f"{url}/score/churn", json=bad, timeout=30)
            assert refused.status_code == 422, (bad, refused.text)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not list(logs.rglob("*.parquet")):
            time.sleep(0.2)
    logged = duckdb.sql(
        f"SELECT user_id, prediction, model_version, __request_id, "
        f"user_order_stats__order_count_30d AS orders FROM read_parquet('{logs}/**/*.parquet', "
        "hive_partitioning=true) WHERE __request_id = 'parity-check-1' ORDER BY user_id"
    ).fetchall()
    served = sorted((s.user_id, s.probability, s.features["order_count_30d"]) for s in expected)
    assert [(u, o) for u, _, _, _, o in logged] == [(u, o) for u, _, o in served]
    assert [p for _, p, _, _, _ in logged] == pytest.approx([p for _, p, _ in served], abs=1e-12)
    assert {v for _, _, v, _, _ in logged} == {model.record.version}


def test_without_a_model_the_route_says_what_to_do_and_the_rest_serves(
    store_config, tmp_path, raw_tables, horizon
):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    user = int(raw_tables[0]["user_id"].iloc[0])
    with _service(store_config, {"MLFLOW_TRACKING_URI": empty}) as url:
        churn = requests.post(f"{url}/score/churn", json={"user_ids": [user]}, timeout=30)
        assert churn.status_code == 503 and "delivery-fs train" in churn.json()["detail"]
        checkout = requests.post(f"{url}/score/checkout", json={
            "user_id": user, "cart_amount": 20.0, "as_of": horizon.isoformat()}, timeout=30)  # fmt: skip
        assert checkout.status_code == 200, checkout.text


START_UP = """
import asyncio, gc, json
from feature_repo.serving.service import churn_route
from feature_repo.serving.service.scoring_service import app

async def started():
    async with app.router.lifespan_context(app):
        left = sum(len(gc.get_objects(generation)) for generation in range(3))
        print(json.dumps([churn_route._Loaded.scorer is not None, left, gc.get_freeze_count()]))

asyncio.run(started())
"""


def test_after_start_up_no_long_lived_object_is_left_to_full_collections(
    store_config, model, registry
):
    """Every start-up step freezes what it built (the readers, then the churn model and the
    MLflow, scikit-learn and SciPy modules its load imports): a full collection under load then
    scans only what requests allocate, not the ~200,000 objects of the model's load. A fresh
    interpreter, as a worker starts."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "FEAST_FS_YAML_FILE_PATH": str(store_config), "MLFLOW_TRACKING_URI": registry,
           "DELIVERY_FS_LOG_SAMPLE_RATE": "0"}  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-c", START_UP], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    loaded, left, frozen = json.loads(run.stdout.strip().splitlines()[-1])
    assert loaded  # the model was loaded during the start-up
    assert left < 5_000 < frozen, (left, frozen)
