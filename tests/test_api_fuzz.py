"""Every route of the scoring service fuzzed from its own OpenAPI document with schemathesis, over
HTTP against a real uvicorn process on its own copy of the data (pushes write to it) with a trained
churn model: no answer 5xx, every answer as documented (status, content type, schema), no traceback
in the server's log.

Bounded and repeatable: a fixed seed and ``DELIVERY_FS_FUZZ_EXAMPLES`` examples per route (default 30;
set it to e.g. 1000 for a longer run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devtools.local_servers import free_port, http_server
from tests.cli_runner import run_cli
from tests.conftest import applied_store_config
from tests.stores import copy_data

pytestmark = pytest.mark.integration
SEED = 20231
EXAMPLES = int(os.environ.get("DELIVERY_FS_FUZZ_EXAMPLES", "30"))
# What the service promises (the issue): no 5xx, every answer as documented. Not checked: that
# every schema-valid body is accepted (a lookup naming a feature service the registry lacks is
# refused, 422) and that every invalid one is refused (pydantic reads a number as a date-time).
DOCUMENTED = [status_code_conformance, content_type_conformance, response_headers_conformance,
              response_schema_conformance]  # fmt: skip
CHECKS = [not_a_server_error, *DOCUMENTED]
POSTED = {"/score/checkout", "/score/churn", "/get-online-features", "/push-orders"}
ROUTES = POSTED | {"/healthz", "/readyz", "/metrics"}


@pytest.fixture(scope="module")
def fuzz_env(built_data, tmp_path_factory) -> dict:
    """A private store (applied, loaded, a churn model trained): the environment naming it."""
    directory = tmp_path_factory.mktemp("api_fuzz")
    data = copy_data(built_data, directory / "data")
    env = {"DELIVERY_FS_DATA_DIR": str(data),
           "MLFLOW_TRACKING_URI": f"sqlite:///{directory / 'mlflow.db'}"}  # fmt: skip
    env["FEAST_FS_YAML_FILE_PATH"] = str(applied_store_config(directory / "store", env=env))
    run_cli("delivery-fs", "backfill-online", env=env)
    run_cli("delivery-fs", "train", env=env)
    return env


def _service(env: dict, log: Path, ready_path: str):
    port = free_port()
    command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    return http_server(command, port, ready_path=ready_path, env=env, log=log)


@pytest.fixture(scope="module")
def fuzzed_service(fuzz_env, tmp_path_factory):
    """The scoring service on the private store, and its log."""
    log = tmp_path_factory.mktemp("api_fuzz_log") / "server.log"
    with _service(fuzz_env, log, "/readyz") as url:
        yield url, log


def _fuzz(schema, path: str, mode: GenerationMode, checks, examples: int, answered=None) -> None:
    """Each operation of ``path`` with ``examples`` generated requests; ``answered`` sees each answer."""
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path == path]
    assert operations, path
    for operation in operations:

        @seed(SEED)
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            response = case.call_and_validate(checks=checks)
            if answered:
                answered(path, response)

        fuzz()


@pytest.fixture(scope="module")
def api_schema(fuzzed_service):
    return schemathesis.openapi.from_url(f"{fuzzed_service[0]}/openapi.json")


def test_the_document_lists_every_route(api_schema):
    assert {result.ok().path for result in api_schema.get_all_operations()} >= ROUTES


@pytest.mark.parametrize(
    ("path", "mode"),
    [(path, GenerationMode.POSITIVE) for path in sorted(ROUTES)]
    + [(path, GenerationMode.NEGATIVE) for path in sorted(POSTED)],
)
def test_no_server_error_and_every_answer_as_documented(api_schema, path, mode):
    """Each operation of ``path``: bodies that fit its schema (positive) and, for routes with a body,
    bodies that do not (negative); on each answer: no 5xx, and status, content type, headers and
    body as documented."""
    _fuzz(api_schema, path, mode, CHECKS, EXAMPLES)


def test_no_traceback_in_the_servers_log(fuzzed_service):
    """Runs after the fuzzing (tests run in file order: this one last)."""
    text = fuzzed_service[1].read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text[-3000:]
    assert " 500 " not in text


def test_with_the_online_store_gone_only_a_documented_503(fuzz_env, tmp_path):
    """The same service with its SQLite online store gone: every POST route answers as documented,
    5xx only as the documented 503 naming the store, and the log has no traceback."""
    config = Path(fuzz_env["FEAST_FS_YAML_FILE_PATH"])
    settings_ = yaml.safe_load(config.read_text())
    settings_["online_store"]["path"] = str(tmp_path / "gone" / "online_store.db")
    gone = tmp_path / "feature_store.yaml"
    gone.write_text(yaml.safe_dump(settings_))
    statuses: dict[str, set[int]] = {}

    def answered(path, response):
        assert response.status_code < 500 or response.status_code == 503, response.text
        statuses.setdefault(path, set()).add(response.status_code)

    log = tmp_path / "server.log"
    with _service({**fuzz_env, "FEAST_FS_YAML_FILE_PATH": str(gone)}, log, "/healthz") as url:
        order = {"transaction_id": 995001, "user_id": 112312, "amount": 20.5, "shipping_costs": 0,
                 "discount_coupon": 0, "discount_coupon_amount": 0, "payment_method": "Cash",
                 "transaction_date": "2020-11-01T10:00:00Z", "delivery_type": "Pizza"}  # fmt: skip
        for path, body in [("/push-orders", {"orders": [order]}),
                           ("/score/checkout", {"user_id": 112312, "cart_amount": 20.0}),
                           ("/score/churn", {"user_ids": [112312]})]:  # fmt: skip
            answer = requests.post(url + path, json=body, timeout=30)
            assert answer.status_code == 503 and "gone" in answer.text, (path, answer.text)
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        for path in sorted(POSTED):
            _fuzz(schema, path, GenerationMode.POSITIVE, DOCUMENTED, min(EXAMPLES, 20), answered)
    assert 503 in statuses["/score/checkout"]
    assert "Traceback" not in log.read_text()
