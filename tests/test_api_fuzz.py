"""Every route of the scoring service fuzzed from its own OpenAPI document with schemathesis, over
HTTP against a real uvicorn process on its own copy of the data (pushes write to it) with a trained
churn model: no answer 5xx, every answer as documented (status, content type, schema), no traceback
in the server's log.

Bounded and repeatable: a fixed seed and ``DELIVERY_FS_FUZZ_EXAMPLES`` examples per route (default 30;
set it to e.g. 1000 for a longer run).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
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
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]  # fmt: skip
POSTED = {"/score/checkout", "/score/churn", "/get-online-features", "/push-orders"}
ROUTES = POSTED | {"/healthz", "/readyz", "/metrics"}


@pytest.fixture(scope="module")
def fuzzed_service(built_data, tmp_path_factory):
    """The scoring service on a private store (applied, loaded, a churn model trained), and its log."""
    directory = tmp_path_factory.mktemp("api_fuzz")
    data = copy_data(built_data, directory / "data")
    env = {"DELIVERY_FS_DATA_DIR": str(data),
           "MLFLOW_TRACKING_URI": f"sqlite:///{directory / 'mlflow.db'}"}  # fmt: skip
    env["FEAST_FS_YAML_FILE_PATH"] = str(applied_store_config(directory / "store", env=env))
    run_cli("delivery-fs", "backfill-online", env=env)
    run_cli("delivery-fs", "train", env=env)
    port, log = free_port(), directory / "server.log"
    command = ["uvicorn", "feature_repo.serving.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    with http_server(command, port, ready_path="/readyz", env=env, log=log) as url:
        yield url, log


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
    operations = [r.ok() for r in api_schema.get_all_operations() if r.ok().path == path]
    assert operations, path
    for operation in operations:

        @seed(SEED)
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case):
            case.call_and_validate(checks=CHECKS)

        fuzz()


def test_no_traceback_in_the_servers_log(fuzzed_service):
    """Runs after the fuzzing (tests run in file order: this one last)."""
    text = fuzzed_service[1].read_text()
    assert "Traceback" not in text and "Exception in ASGI application" not in text, text[-3000:]
    assert " 500 " not in text
