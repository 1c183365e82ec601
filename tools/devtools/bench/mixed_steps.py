"""The measured steps of the mixed section (``mixed_figures``), each run in a fresh process by
``Bench.step(..., module="devtools.bench.mixed_steps")``: the first online load a day before the
data horizon, a steady stream of pushed orders with push-to-visible samples, and the lost-order
count read back from the online ledger."""

from __future__ import annotations

import gc
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from devtools.bench.measure import latency_summary
from devtools.bench.steps import main

VISIBLE_TIMEOUT_SECONDS = 5.0  # a sample not visible by then counts as an error


def backfill_before(config: str, end: str) -> dict[str, Any]:
    """The first online load as of ``end`` (a day before the horizon, for the incremental day)."""
    from feature_repo.operations.online_backfill import backfill_online
    from feature_repo.repository.store import open_store

    begin = time.perf_counter()
    loaded = backfill_online(open_store(config_path=Path(config)), datetime.fromisoformat(end))
    return {"views": len(loaded), "seconds": time.perf_counter() - begin}


def steady_push(
    config: str,
    raw: str,
    start: str,
    seconds: float,
    rate: int,
    tick: float,
    sent: str,
    ready: str | None = None,
) -> dict[str, Any]:
    """Held-out orders after ``start`` pushed at ``rate`` orders/s for ``seconds``: each ``tick``,
    a batch, then one order alone whose push-to-visible time is measured (push, then poll the
    lean reader until the user's 7-day count has grown by one). Every order sent is written to
    ``sent`` (transaction id, user, instant, status) for the lost-order count. The file ``ready``
    is written once the reader is planned and has read once: a view being materialized cannot be
    planned (Feast refuses views in state MATERIALIZING), so the materialization starts after it;
    so does the read load, so that the window measures a running pusher, not its start-up."""
    from feature_repo.push.replay import HELD_OUT_NAME, _records, held_out_orders
    from feature_repo.push.service import OrderPusher
    from feature_repo.repository.store import open_store
    from feature_repo.serving.lookup.online_features import OnlineFeatureReader

    store = open_store(config_path=Path(config))
    pusher, reader = (
        OrderPusher(store, raw=Path(raw)),
        OnlineFeatureReader(store, "checkout_model_v1"),
    )
    orders = held_out_orders(Path(raw) / HELD_OUT_NAME, datetime.fromisoformat(start))
    records = _records(orders.head(int(rate * seconds)))
    if not records:
        raise ValueError(f"no held-out orders after {start} in {raw}: generate more data")
    per_tick = max(1, round(rate * tick))
    reader.read([{"user_id": int(records[0]["user_id"]), "cart_amount": 20.0}])  # warm, as a server
    gc.collect()
    gc.freeze()
    if ready:
        Path(ready).write_text("ready")
    log, visible, errors, late_ticks = [], [], [], 0
    begin = time.perf_counter()
    for number, first in enumerate(range(0, len(records), per_tick)):
        due = begin + number * tick
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:
            late_ticks += 1
        batch = records[first : first + per_tick]
        try:
            log += _logged(batch[:-1], pusher.push(batch[:-1], "replay") if batch[:-1] else [])
            seconds_seen = _push_visible(pusher, reader, batch[-1], log)
        except Exception as error:  # noqa: BLE001 - counted and named: the figure is 0 errors
            errors.append(f"{type(error).__name__}: {error}"[:300])
            continue
        if seconds_seen is None:
            errors.append(f"transaction {batch[-1]['transaction_id']} not visible in time")
        elif seconds_seen >= 0:
            visible.append(seconds_seen)
    elapsed = time.perf_counter() - begin
    Path(sent).write_text(json.dumps(log))
    statuses: dict[str, int] = {}
    for entry in log:
        statuses[entry["status"]] = statuses.get(entry["status"], 0) + 1
    # failed: the online store failed; rejected orders (users registered after the online load,
    # unknown to it) are the data's, the same quiet or loaded: reported in ``statuses``
    errors += [f"{statuses['failed']} orders failed"] if statuses.get("failed") else []
    return {"orders": len(log), "seconds": elapsed, "orders_per_second": len(log) / elapsed,
            "rate": rate, "late_ticks": late_ticks, "last_order_at": records[-1]["transaction_date"], "statuses": statuses, "errors": len(errors),
            "error_examples": errors[:5],
            "visible": latency_summary(visible) if visible else None}  # fmt: skip


def _logged(records: list[dict], results) -> list[dict]:
    return [{"transaction_id": int(r["transaction_id"]), "user_id": int(r["user_id"]),
             "at": r["transaction_date"], "status": str(result.status)}
            for r, result in zip(records, results, strict=True)]  # fmt: skip


def _push_visible(pusher, reader, record: dict, log: list[dict]) -> float | None:
    """Seconds from the push of ``record`` to the first lean read that counts it; -1 when it was
    not applied (nothing to see), ``None`` when not seen within ``VISIBLE_TIMEOUT_SECONDS``."""
    at = datetime.fromisoformat(record["transaction_date"]).astimezone(UTC)
    row = [{"user_id": int(record["user_id"]), "cart_amount": 20.0}]
    before = reader.read(row, now=at)[0]["order_count_7d"].value or 0
    begin = time.perf_counter()
    results = pusher.push([record], "replay")
    log += _logged([record], results)
    if results[0].status != "applied":
        return -1.0
    while time.perf_counter() - begin < VISIBLE_TIMEOUT_SECONDS:
        if (reader.read(row, now=at)[0]["order_count_7d"].value or 0) == before + 1:
            return time.perf_counter() - begin
    return None


def lost_orders(config: str, sent: list[str]) -> dict[str, Any]:
    """The orders sent (the logs ``sent``) with status ``applied`` that the online ledger does not
    hold at the end.

    Read from Redis, not from the pusher: each user's ledger must know every applied order of
    that user still inside its window (``LEDGER_DAYS`` before its latest order)."""
    from feature_repo.push.online_writes import read_view_rows
    from feature_repo.repository.store import open_store
    from feature_repo.transforms.ledger_windows import (
        LEDGER_DAYS,
        MICROS_PER_DAY,
        instant_us,
        ledger_from_columns,
    )

    store = open_store(config_path=Path(config))
    logs = [entry for path in sent for entry in json.loads(Path(path).read_text())]
    applied = [entry for entry in logs if entry["status"] == "applied"]
    users = sorted({entry["user_id"] for entry in applied})
    rows = read_view_rows(store, "user_order_ledger", [{"user_id": u} for u in users])
    ledgers = {u: None if values is None else ledger_from_columns(values)
               for u, (_, values) in zip(users, rows, strict=True)}  # fmt: skip
    missing, checked = [], 0
    for entry in applied:
        ledger = ledgers[entry["user_id"]]
        latest = max((o.instant_us for o in ledger.orders), default=None) if ledger else None
        if latest is not None and instant_us(entry["at"]) <= latest - LEDGER_DAYS * MICROS_PER_DAY:
            continue  # trimmed from the ledger by design: too old to count in any window
        checked += 1
        if ledger is None or not ledger.knows(entry["transaction_id"]):
            missing.append(entry["transaction_id"])
    return {"applied": len(applied), "checked": checked, "lost": len(missing),
            "examples": missing[:5], "users": len(users)}  # fmt: skip


STEPS = {f.__name__: f for f in (backfill_before, steady_push, lost_orders)}

if __name__ == "__main__":
    main(STEPS)
