"""The offline store's figures: training retrieval against a raw DuckDB ASOF join, and the offline
pull of materialization against what stock Feast pulls.

Each step runs in its own process (``python -m devtools.bench.offline_figures NAME ARGS``) so the
peak memory it reports is its own, and prints one ``RESULT`` line, as ``devtools.bench.steps``.

- ``historical``: ``get_historical_features`` of N sampled (user, instant) rows through the main
  service (on-demand features included), in the entities' order, against the raw baseline: one
  DuckDB ``ASOF LEFT JOIN`` per view with the on-demand features computed in the same SQL. The
  frames are compared value by value.
- ``offline_pull``: what materialization reads for the main service's batch views (end - TTL to
  end): the project's store pulls the latest row per entity in DuckDB and streams Arrow batches;
  the baseline is stock Feast's pull (every row in the window, then the local engine's pandas
  de-duplication), on the same store.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from devtools.bench.report import Figure
from devtools.bench.steps import ONLINE_VIEWS, SERVICE
from devtools.bench.steps import main as run_steps

MODULE = "devtools.bench.offline_figures"
RATIO_LIMITS = {100_000: 1.2, 1_000_000: 1.5}
PULL_MEMORY_LIMIT_MB = 1024


def _store(config: str):
    from feature_repo.repository.store import open_store

    return open_store(config_path=Path(config))


def historical(config: str, rows: int, mode: str, out: str, seed: int = 7) -> dict[str, Any]:
    """``feast`` (through the service, as ``training_frame`` returns it) or ``raw`` (ASOF SQL)."""
    from devtools.bench.historical_join import asof_join, sampled_entities

    store = _store(config)
    entities = sampled_entities(store, rows, seed)
    start = time.perf_counter()
    if mode == "feast":
        from feature_repo.training.frames import training_frame

        frame = training_frame(store, entities, SERVICE)
    else:
        frame = asof_join(store, entities, ONLINE_VIEWS)
    seconds = time.perf_counter() - start
    frame.to_parquet(out, index=False)
    return {"seconds": seconds, "rows": len(frame)}


def compare_frames(feast_frame: str, raw_frame: str) -> dict[str, Any]:
    """Whether the two frames have the same rows and the same values in every raw column."""
    from devtools.bench.historical_join import differences

    return differences(Path(feast_frame), Path(raw_frame))


def offline_pull(config: str, end: str, mode: str) -> dict[str, Any]:
    """``latest`` (this store's pull, consumed as Arrow batches) or ``stock`` (Feast 0.67's default:
    every row of the window as Arrow, then the latest per entity in pandas, as its engine does)."""
    from feast.infra.offline_stores.duckdb import DuckDBOfflineStore

    store = _store(config)
    instant = datetime.fromisoformat(end)
    rows = 0
    start = time.perf_counter()
    for name in ONLINE_VIEWS:
        view = store.get_feature_view(name)
        source = view.batch_source
        arguments = dict(
            config=store.config, data_source=source, join_key_columns=["user_id"],
            feature_name_columns=[f.name for f in view.features],
            timestamp_field=source.timestamp_field, created_timestamp_column=None,
            start_date=instant - view.ttl, end_date=instant,
        )  # fmt: skip
        if mode == "latest":
            job = store.provider.offline_store.pull_latest_from_table_or_query(**arguments)
            rows += sum(batch.num_rows for batch in job.to_arrow_batches())
        else:
            frame = DuckDBOfflineStore.pull_all_from_table_or_query(**arguments).to_arrow()
            history = frame.to_pandas().sort_values(source.timestamp_field, ascending=False)
            rows += len(history.drop_duplicates(subset=["user_id"], keep="first"))
    return {"seconds": time.perf_counter() - start, "rows": rows}


def historical_figures(bench, scale: float, config: Path, sizes: list[int]) -> list[Figure]:
    """get_historical_features through the main service against one DuckDB ASOF join."""
    figures = []
    for rows in sizes:
        frames = {m: bench.scale_dir(scale) / f"historical-{m}-{rows}.parquet" for m in ("feast", "raw")}  # fmt: skip
        runs = {
            mode: bench.step("historical", scale, module=MODULE, config=str(config), rows=rows,
                             mode=mode, out=str(path))
            for mode, path in frames.items()
        }  # fmt: skip
        check = bench.step("compare_frames", scale, module=MODULE, feast_frame=str(frames["feast"]),
                           raw_frame=str(frames["raw"]))  # fmt: skip
        same = check["rows_feast"] == check["rows_raw"] == rows and check["differing_values"] == 0
        feast, raw = runs["feast"], runs["raw"]
        limit = RATIO_LIMITS.get(rows, 1.2)
        figures += [
            Figure(f"historical {rows:,} rows (on-demand included)", "s", feast["seconds"],
                   raw["seconds"], f"<= {limit}x raw, same rows and values",
                   feast["seconds"] <= limit * raw["seconds"] and same, details=check),
            Figure(f"historical {rows:,} rows peak memory", "MB", feast["peak_mb"],
                   raw["peak_mb"], "<= raw's", feast["peak_mb"] <= raw["peak_mb"]),
        ]  # fmt: skip
        for path in frames.values():
            path.unlink(missing_ok=True)
    return figures


def offline_pull_figures(bench, scale: float, config: Path, end: str) -> list[Figure]:
    """Materialization's offline pull: latest rows in DuckDB against stock Feast's pull."""
    runs = {
        mode: bench.step("offline_pull", scale, module=MODULE, config=str(config), end=end, mode=mode)
        for mode in ("latest", "stock")
    }  # fmt: skip
    latest, stock = runs["latest"], runs["stock"]
    same_rows = latest["rows"] == stock["rows"]
    return [
        Figure("materialization offline pull", "s", latest["seconds"], stock["seconds"],
               "(reported) same rows as stock", same_rows, details=runs),
        Figure("materialization offline pull peak memory", "MB", latest["peak_mb"],
               stock["peak_mb"], f"<= {PULL_MEMORY_LIMIT_MB} MB",
               latest["peak_mb"] <= PULL_MEMORY_LIMIT_MB),
    ]  # fmt: skip


def offline_figures(bench, scale: float, config: Path, end: str, sizes: list[int]) -> list[Figure]:
    """Every figure of this module on one applied store (the SQLite profile)."""
    return offline_pull_figures(bench, scale, config, end) + historical_figures(
        bench, scale, config, sizes
    )


STEPS = {f.__name__: f for f in (historical, compare_frames, offline_pull)}


if __name__ == "__main__":
    run_steps(STEPS)
