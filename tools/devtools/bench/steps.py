"""The measured steps. Each runs in its own process (``python -m devtools.bench.steps NAME ARGS``)
so that the peak memory it reports is its own; it prints one ``RESULT`` line of JSON."""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.bench import build_figures as build_steps
from devtools.bench.measure import peak_rss_mb, time_calls

RESULT = "BENCH-RESULT "
SERVICE = "churn_model_v1"
ONLINE_VIEWS = ("user_profile", "user_order_stats")  # the batch views of the main service
LEDGER_VIEW = "user_order_ledger"  # what the lean reader computes user_order_stats from


def _store(config: str):
    from feature_repo.repository.store import open_store

    return open_store(config_path=Path(config))


def online(
    config: str, users: list[int], batch: int, calls: int, warm_up: int, mode: str, now: str
) -> dict[str, Any]:
    """Lookups of ``batch`` users per call through the main service: ``reader`` (the project's
    OnlineFeatureReader), ``stock`` (``get_online_features``), ``raw`` (the client alone) or
    ``store_read`` (the reader's own store read, without decoding: where the reader's time goes)."""
    from feature_repo.serving.lookup.online_features import (
        OnlineFeatureReader,
        freeze_long_lived_objects,
    )

    store = _store(config)
    instant = datetime.fromisoformat(now)
    reader = OnlineFeatureReader(store, SERVICE)
    groups = [users[i : i + batch] for i in range(0, len(users) - batch + 1, batch)]
    if mode == "reader":
        reader.read([{"user_id": u} for u in groups[0]], now=instant)
        freeze_long_lived_objects()  # as the scoring service does once warm

        def call(i: int) -> object:
            return reader.read([{"user_id": u} for u in groups[i % len(groups)]], now=instant)

    elif mode == "stock":
        service = store.get_feature_service(SERVICE)

        def call(i: int) -> object:
            rows = [{"user_id": u, "request_time": instant} for u in groups[i % len(groups)]]
            return store.get_online_features(features=service, entity_rows=rows).to_dict()

    elif mode == "store_read":  # the reader's store read alone: keys encoded, values not decoded

        def call(i: int) -> object:
            return reader.stored_rows([{"user_id": u} for u in groups[i % len(groups)]])

    else:
        from devtools.bench.online_baselines import raw_reader

        read = raw_reader(store, reader.plan.view_features)

        def call(i: int) -> object:
            return read(groups[i % len(groups)])

    return time_calls(call, calls, warm_up)


def _materialized_views(store, end: datetime):
    """The views of the main service with the window ``feast materialize`` loads: end - TTL to end."""
    for name in ONLINE_VIEWS:
        view = store.get_feature_view(name)
        yield view, end - view.ttl


def materialize(config: str, end: str) -> dict[str, Any]:
    """``store.materialize`` of the main service's views, as the online backfill runs it."""
    store = _store(config)
    instant = datetime.fromisoformat(end)
    online = store.provider.online_store
    written: list[float] = []  # the online store's share of the time
    online.online_write_batch = _timed(online.online_write_batch, written)
    if hasattr(online, "bulk_load"):  # the streaming engine's writer, its commit included
        bulk_load = online.bulk_load

        @contextmanager
        def timed_bulk_load(*args, **kwargs):
            manager = bulk_load(*args, **kwargs)
            write = manager.__enter__()
            try:
                yield type(write)(write.prepare, _timed(write.write, written))
            except BaseException:
                if not manager.__exit__(*sys.exc_info()):
                    raise
            else:
                _timed(manager.__exit__, written)(None, None, None)

        online.bulk_load = timed_bulk_load
    start = time.perf_counter()
    for view, since in _materialized_views(store, instant):
        store.materialize(start_date=since, end_date=instant, feature_views=[view.name])
    return {"seconds": time.perf_counter() - start, "write_seconds": sum(written)}


def load_ledger(config: str, end: str) -> dict[str, Any]:
    """The order ledger (a view without TTL: loaded from the start of the data), which the lean
    reader reads for ``user_order_stats``; not part of the materialization figures."""
    store = _store(config)
    start = time.perf_counter()
    store.materialize(
        start_date=datetime(1970, 1, 1, tzinfo=UTC),
        end_date=datetime.fromisoformat(end),
        feature_views=[LEDGER_VIEW],
    )
    return {"seconds": time.perf_counter() - start}


def _timed(function, seconds: list[float]):
    """``function``, adding the seconds of each call to ``seconds``."""

    def timed(*args, **kwargs):
        begin = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - begin)

    return timed


def raw_write(config: str, end: str) -> dict[str, Any]:
    """The same rows (latest per entity in the window, read by the same offline store), written
    with pipelined redis-py HSETs or one sqlite3 executemany per view, values as bytes."""
    from feast.infra.offline_stores.offline_utils import get_offline_store_from_config

    from devtools.bench.raw_writes import writer

    store = _store(config)
    instant = datetime.fromisoformat(end)
    offline = get_offline_store_from_config(store.config.offline_store)
    write = writer(store)
    rows = 0
    start = time.perf_counter()
    for view, since in _materialized_views(store, instant):
        source = view.batch_source
        frame = offline.pull_latest_from_table_or_query(
            config=store.config,
            data_source=source,
            join_key_columns=["user_id"],
            feature_name_columns=[f.name for f in view.features],
            timestamp_field=source.timestamp_field,
            created_timestamp_column=source.created_timestamp_column or None,
            start_date=since,
            end_date=instant,
        ).to_arrow()
        rows += write(view, frame, source.timestamp_field)
    return {"seconds": time.perf_counter() - start, "rows": rows}


def build(raw: str, out: str, engine: str = "duckdb") -> dict[str, Any]:
    """``build-features`` on one data size (forced, so that it runs), on ``engine``."""
    from feature_repo.pipeline.build import build_feature_files
    from feature_repo.pipeline.raw_data import raw_file

    build_files = build_feature_files
    if engine == "spark":
        from feature_repo.spark.build import build_feature_files_on_spark as build_files
    start = time.perf_counter()
    result = build_files(
        raw_file(Path(raw), "users"), raw_file(Path(raw), "transactions"), Path(out), force=True
    )
    return {"seconds": time.perf_counter() - start, "rows": result.rows}


def http(url: str, users: list[int], calls: int, warm_up: int, now: str) -> dict[str, Any]:
    """``POST /get-online-features`` for one user, on one kept-alive connection."""
    bodies = [
        {
            "feature_service": SERVICE,
            "entities": {"user_id": [u], "request_time": [now]},
            "as_of": now,
        }  # the lean endpoint's lookup instant; feast serve ignores it
        for u in users
    ]
    return timed_posts(url, "/get-online-features", bodies, calls, warm_up)


def timed_posts(
    url: str, path: str, bodies: list[dict], calls: int, warm_up: int
) -> dict[str, Any]:
    """``POST path`` with each body in turn, on one kept-alive connection; any answer but 200 fails."""
    import http.client
    from urllib.parse import urlparse

    address = urlparse(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    encoded = [json.dumps(body) for body in bodies]
    headers = {"Content-Type": "application/json"}

    def call(i: int) -> None:
        connection.request("POST", path, encoded[i % len(encoded)], headers)
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}{path} answered {response.status}: {body[:300]!r}")

    return time_calls(call, calls, warm_up)


def sagemaker(config: str, settings: str, serial: int, parallel: int) -> dict[str, Any]:
    """PutRecord rates into the emulator: one record at a time, then the mirror's concurrent ingest."""
    from devtools.bench.sagemaker_ingest import ingest_rates

    return ingest_rates(_store(config), Path(settings), serial, parallel)


STEPS = {
    f.__name__: f for f in (online, materialize, load_ledger, raw_write, build, http, sagemaker)
}
STEPS.update(build_steps.STEPS)  # generate-data and table comparison (devtools.bench.build_figures)


def main(steps: dict | None = None) -> None:
    """Run the step named on the command line (of ``steps``, this module's by default)."""
    name, arguments = sys.argv[1], json.loads(sys.argv[2])
    result = (steps or STEPS)[name](**arguments)
    result["peak_mb"] = round(peak_rss_mb(), 1)
    print(RESULT + json.dumps(result, default=str), flush=True)


if __name__ == "__main__":
    main()
