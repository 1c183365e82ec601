"""The scoring service for operators (a real uvicorn process): ``/healthz``, ``/readyz`` (503 naming
the online store when it is gone) and ``/metrics``, read with prometheus_client's own text parser:
the counters move by exactly the requests made, across two workers too, and each view's newest
online row has the age Feast's own lookup gives."""

from __future__ import annotations

import time
from collections import Counter

import pandas as pd
import pytest
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

from devtools.bench.gc_scrape import gc_pause_samples
from devtools.local_servers import free_port, http_server

pytestmark = pytest.mark.integration
USER_VIEWS = ("user_profile", "user_order_stats")


def _service(config, workers: int = 1, env: dict | None = None):
    port = free_port()
    command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
    env = {"FEAST_FS_YAML_FILE_PATH": str(config), **(env or {})}
    return http_server(command, port, ready_path="/healthz", env=env)


def _scrape(url: str) -> dict[tuple[str, frozenset], float]:
    answer = requests.get(f"{url}/metrics", timeout=30)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def _moved(before: dict, after: dict, name: str) -> Counter:
    """How much each series of ``name`` moved between two scrapes (labels as a frozenset)."""
    return Counter({
        labels: after[key] - before.get(key, 0.0)
        for key in after if key[0] == name and (labels := key[1]) is not None
        and after[key] - before.get(key, 0.0) != 0
    })  # fmt: skip


def _labels(**labels) -> frozenset:
    return frozenset(labels.items())


@pytest.fixture(scope="module")
def service(materialized_store, store_config):
    with _service(store_config) as url:
        yield url


def test_probes_answer_alive_and_ready(service, materialized_store):
    assert requests.get(f"{service}/healthz", timeout=30).json() == {"status": "alive"}
    ready = requests.get(f"{service}/readyz", timeout=30)
    assert ready.status_code == 200
    services = len(materialized_store.list_feature_services())
    assert ready.json() == {"status": "ready", "feature_services": services}


def test_the_counters_move_by_exactly_the_requests_made(service, raw_tables):
    user = int(raw_tables[0]["user_id"].iloc[0])
    before = _scrape(service)
    for _ in range(3):
        assert requests.get(f"{service}/healthz", timeout=30).status_code == 200
    for cart in (10.0, 20.0):
        answer = requests.post(f"{service}/score/checkout", json={"user_id": user, "cart_amount": cart}, timeout=30)  # fmt: skip
        assert answer.status_code == 200, answer.text
    bad = {"transaction_id": 1, "user_id": user, "amount": 1e308, "shipping_costs": 0,
           "discount_coupon": 0, "discount_coupon_amount": 0, "payment_method": "Cash",
           "transaction_date": "2020-11-01T10:00:00Z", "delivery_type": "Pizza"}  # fmt: skip
    pushed = requests.post(f"{service}/push-orders", json={"orders": [bad, {**bad, "amount": -1}]}, timeout=30)  # fmt: skip
    assert pushed.status_code == 200 and pushed.json()["counts"] == {"rejected": 2}
    assert "amount" in pushed.json()["results"][0]["reason"]
    assert requests.get(f"{service}/no-such-route", timeout=30).status_code == 404
    after = _scrape(service)

    assert _moved(before, after, "scoring_requests_total") == {
        _labels(route="/metrics", method="GET", status="200"): 1,  # the first scrape
        _labels(route="/healthz", method="GET", status="200"): 3,
        _labels(route="/score/checkout", method="POST", status="200"): 2,
        _labels(route="/push-orders", method="POST", status="200"): 1,
        _labels(route="other", method="GET", status="404"): 1,
    }
    assert _moved(before, after, "scoring_pushed_orders_total") == {_labels(status="rejected"): 2}
    checkout = _labels(route="/score/checkout", method="POST")
    assert _moved(before, after, "scoring_request_duration_seconds_count")[checkout] == 2
    moved_buckets = _moved(before, after, "scoring_request_duration_seconds_bucket")
    assert moved_buckets[checkout | {("le", "+Inf")}] == 2
    assert _moved(before, after, "scoring_online_store_errors_total") == {}


def test_each_views_newest_online_row_has_the_age_feasts_lookup_gives(
    service, materialized_store, raw_tables
):
    users = [{"user_id": int(u)} for u in raw_tables[0]["user_id"]]
    scraped_at = pd.Timestamp.now(tz="UTC")
    ages = {
        dict(labels)["view"]: value
        for (name, labels), value in _scrape(service).items()
        if name == "feature_store_online_newest_row_age_seconds"
    }
    for view in USER_VIEWS:
        names = [f"{view}:{f.name}" for f in materialized_store.get_feature_view(view).features]
        lookup = materialized_store.get_online_features(names, users)
        seconds = lookup.to_dict(include_event_timestamps=True)  # "<feature>__ts": Unix seconds
        newest_seconds = max(max(v) for k, v in seconds.items() if k.endswith("__ts"))
        newest = pd.Timestamp(newest_seconds, unit="s", tz="UTC")
        assert ages[view] == pytest.approx((scraped_at - newest).total_seconds(), abs=5), view


def test_ready_says_which_store_is_gone_and_the_errors_are_counted(store_config, tmp_path):
    settings = yaml.safe_load(store_config.read_text())
    settings["online_store"]["path"] = str(tmp_path / "gone" / "online_store.db")
    config = tmp_path / "feature_store.yaml"
    config.write_text(yaml.safe_dump(settings))
    with _service(config) as url:
        before = _scrape(url)
        answer = requests.get(f"{url}/readyz", timeout=30)
        assert answer.status_code == 503 and "gone" in answer.json()["detail"]
        assert "Traceback" not in answer.text
        assert requests.get(f"{url}/healthz", timeout=30).status_code == 200
        moved = _moved(before, _scrape(url), "scoring_online_store_errors_total")
    assert moved == {_labels(route="/readyz"): 1}


def test_the_service_reports_the_full_collections_of_its_start_up(service):
    """The warm-up ends with a full collection (``freeze_long_lived_objects``), timed from the
    worker's start: at least one generation-2 pause is in /metrics before any request."""
    scraped = _scrape(service)
    full = _labels(generation="2")
    assert scraped[("scoring_gc_pause_seconds_count", full)] >= 1
    assert scraped[("scoring_gc_pause_seconds_sum", full)] > 0
    samples = gc_pause_samples(service)  # the bench's reader of the same histogram agrees
    assert (
        samples[("scoring_gc_pause_seconds_count", "2", "")]
        >= scraped[("scoring_gc_pause_seconds_count", full)]
    )


def test_two_workers_add_up_in_multiprocess_mode(materialized_store, store_config, tmp_path):
    directory = tmp_path / "prometheus"
    directory.mkdir()
    with _service(store_config, workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}) as url:
        before = _scrape(url)
        for _ in range(40):
            assert requests.get(f"{url}/healthz", timeout=30).status_code == 200
        time.sleep(0.2)
        after = _scrape(url)
    moved = _moved(before, after, "scoring_requests_total")
    assert moved[_labels(route="/healthz", method="GET", status="200")] == 40
