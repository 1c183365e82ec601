"""A full disk and two writers, with the real commands.

The data directory sits on a small tmpfs mounted for the test (root may mount one; where the
machine refuses, the commands run under a file size limit instead, ``RLIMIT_FSIZE``, which makes
the system refuse writes the same way: the test prints which). On it:

- ``build-features`` that runs out of space exits 2 with one line naming the path and saying that
  the previous tables are unchanged; they are byte for byte, and no staging file is left;
- ``push-orders`` that cannot append its offline copy reports each order ``failed`` naming the
  path, and nothing of them reaches the online store; pushed again once space is freed, each is
  applied once;
- the next build, with space, completes and counts every pushed order once.

And two writers: orders pushed while a build runs are kept (online at once, offline for the next
build) and each counts once in the tables of the next build.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.cli_runner import run_cli
from tests.stores import held_out_data, profile_config

pytestmark = pytest.mark.integration
T0 = pd.Timestamp("2020-10-01", tz="UTC")  # the batch ends here; later orders are pushed
SEED, SCALE = 17, "0.05"
FILESYSTEM_MB = 48
ORDERS = 40


def _mounted(directory: Path) -> bool:
    """A tmpfs of ``FILESYSTEM_MB`` at ``directory``, if this machine lets us mount one."""
    directory.mkdir(parents=True)
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FILESYSTEM_MB}m", "tmpfs",
                            str(directory)], capture_output=True, text=True)  # fmt: skip
    if mount.returncode != 0:
        print(f"tmpfs refused ({mount.stderr.strip()}): simulating with RLIMIT_FSIZE")
    return mount.returncode == 0


@pytest.fixture
def small_filesystem(tmp_path):
    directory = tmp_path / "small"
    mounted = _mounted(directory)
    yield directory, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(directory)], check=True)


def _fill(directory: Path, leave_bytes: int) -> Path:
    """Write a filler file until the filesystem is full, then give back ``leave_bytes``."""
    filler = directory / "filler"
    chunk = b"\0" * (1 << 20)
    with filler.open("ab") as handle:
        try:
            while True:
                handle.write(chunk)
                handle.flush()
        except OSError:
            pass
    with filler.open("r+b") as handle:
        handle.truncate(max(0, filler.stat().st_size - leave_bytes))
    return filler


# The fallback: `delivery-fs` loaded first (importing Feast writes Prometheus' files elsewhere),
# then every write of the command limited to ``limit`` bytes per file; a write beyond it fails
# with EFBIG ("File too large") as a full filesystem fails with ENOSPC.
LIMITED_CLI = """
import resource, signal, sys
import feast, feature_repo.pipeline.build, feature_repo.push.service
from feature_repo.cli import app
limit = int(sys.argv.pop(1))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
app(prog_name="delivery-fs")
"""


def _limited(env: dict, *args: str, limit_bytes: int) -> subprocess.CompletedProcess:
    """A ``delivery-fs`` command under a file size limit (where no tmpfs can be mounted)."""
    import sys

    from feature_repo.core.paths import REPO_ROOT

    return subprocess.run([sys.executable, "-c", LIMITED_CLI, str(limit_bytes), *args],
                          cwd=REPO_ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def _held_out_orders(data: Path, count: int) -> list[dict]:
    from feature_repo.push.replay import HELD_OUT_NAME

    orders = pd.read_parquet(data / "raw" / HELD_OUT_NAME).sort_values("transaction_date")
    known = set(pd.read_parquet(data / "raw" / "users.parquet")["user_id"])
    orders = orders[orders["user_id"].isin(known)].head(count)
    return json.loads(orders.assign(transaction_date=orders["transaction_date"].map(str)).to_json(
        orient="records"))  # fmt: skip


def _results(output: str, status: str) -> list[str]:
    """The per-order lines of ``push-orders`` with ``status`` ("line 3: transaction 8428: failed (...)")."""
    return [line for line in output.splitlines()
            if line.startswith("line ") and line.split(": ")[2].startswith(status)]  # fmt: skip


def _tables(features: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(features.iterdir()) if p.is_file()}


def _ledger_counts(features: Path) -> pd.Series:
    ledger = pd.read_parquet(features / "user_order_ledger.parquet")
    return ledger.set_index("user_id")["lifetime_order_count"]


def _expected_counts(data: Path) -> pd.Series:
    """Orders per user, counted apart: the raw transactions and every pushed file, ids once."""
    raw = pd.read_parquet(
        data / "raw" / "transactions.parquet", columns=["transaction_id", "user_id"]
    )
    pushed = [pd.read_parquet(p, columns=["transaction_id", "user_id"])
              for p in sorted((data / "raw" / "pushed_transactions").glob("batch-*.parquet"))]  # fmt: skip
    orders = pd.concat([raw, *pushed]).drop_duplicates("transaction_id")
    return orders.groupby("user_id").size()


def _store_env(data: Path, directory: Path) -> dict:
    directory.mkdir(parents=True, exist_ok=True)
    config = profile_config("sqlite", directory, {}, project="disk_full")
    env = {"DELIVERY_FS_DATA_DIR": str(data), "FEAST_FS_YAML_FILE_PATH": str(config)}
    run_cli("feast", "-f", str(config), "apply", env=env)
    run_cli("delivery-fs", "backfill-online", env=env)
    return env


def _online_counts(env: dict, users: list[int]) -> dict[int, int]:
    from feature_repo.push.online_writes import read_view_rows
    from feature_repo.repository.store import open_store

    store = open_store(config_path=Path(env["FEAST_FS_YAML_FILE_PATH"]))
    rows = read_view_rows(store, "user_order_ledger", [{"user_id": u} for u in users])
    return {
        u: (values or {}).get("lifetime_order_count", 0)
        for u, (_, values) in zip(users, rows, strict=True)
    }


def test_a_full_disk_loses_nothing_and_the_next_run_completes(small_filesystem, tmp_path):
    directory, mounted = small_filesystem
    data = held_out_data(directory / "data", SEED, SCALE, T0)
    features = data / "features"
    env = _store_env(data, tmp_path / "store")
    orders = _held_out_orders(data, ORDERS)
    users = sorted({o["user_id"] for o in orders})
    online_before = _online_counts(env, users)
    before = _tables(features)
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in orders))

    if mounted:
        filler = _fill(directory, leave_bytes=64 * 1024)
        build = run_cli("delivery-fs", "build-features", "--force", env=env, check=False)
        _fill(directory, leave_bytes=0)  # not even room for a small batch file
        push = run_cli("delivery-fs", "push-orders", str(path), env=env, check=False)
    else:
        build = _limited(env, "build-features", "--force", limit_bytes=16 * 1024)
        push = _limited(env, "push-orders", str(path), limit_bytes=1024)
    assert build.returncode == 2, build.stdout + build.stderr
    assert "Traceback" not in build.stderr
    assert f"no space left on the filesystem of {features}" in build.stderr, build.stderr
    assert "previous feature tables are unchanged" in build.stderr
    assert _tables(features) == before
    assert not list(data.glob(".features-build-*")) and not list(features.glob(".*.tmp"))

    assert push.returncode != 0 and "Traceback" not in push.stderr, push.stderr
    failed = _results(push.stdout, "failed")
    assert len(failed) == ORDERS, push.stdout
    assert all(str(data / "raw" / "pushed_transactions") in line for line in failed), failed[0]
    assert not list((data / "raw" / "pushed_transactions").glob("*.parquet"))
    assert _online_counts(env, users) == online_before  # nothing of them online

    if mounted:
        filler.unlink()
    retry = run_cli("delivery-fs", "push-orders", str(path), env=env)
    assert len(_results(retry.stdout, "applied")) == ORDERS, retry.stdout
    again = run_cli("delivery-fs", "push-orders", str(path), env=env, check=False)
    assert len(_results(again.stdout, "duplicate")) == ORDERS, again.stdout
    added = pd.Series([o["user_id"] for o in orders]).value_counts()
    assert _online_counts(env, users) == {u: online_before[u] + int(added[u]) for u in users}

    run_cli("delivery-fs", "build-features", env=env)
    counts, expected = _ledger_counts(features), _expected_counts(data)
    assert (counts.reindex(expected.index) == expected).all()
    assert int(counts[users].sum()) == int(expected[users].sum())  # the pushed orders, once each


def test_orders_pushed_during_a_build_count_once(tmp_path):
    from devtools.local_servers import BIN_DIR
    from feature_repo.core.paths import REPO_ROOT

    data = held_out_data(tmp_path / "data", SEED, SCALE, T0)
    env = _store_env(data, tmp_path / "store")
    orders = _held_out_orders(data, ORDERS)
    users = sorted({o["user_id"] for o in orders})
    online_before = _online_counts(env, users)
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in orders))

    from feature_repo.push.orders import records_from_text
    from feature_repo.push.service import OrderPusher
    from feature_repo.repository.store import open_store

    pusher = OrderPusher(open_store(config_path=Path(env["FEAST_FS_YAML_FILE_PATH"])), data / "raw")
    records, kind = records_from_text(path.read_text())
    build = subprocess.Popen([str(BIN_DIR / "delivery-fs"), "build-features", "--force"],
                             cwd=REPO_ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(data.glob(".features-build-*")) and time.monotonic() < deadline:
        time.sleep(0.01)  # the build has started writing
    assert build.poll() is None, "the build ended before the push: make the data larger"
    results = pusher.push(records, kind)  # in this process: no start-up time
    during = build.poll() is None
    _, errors = build.communicate(timeout=600)
    assert build.returncode == 0, errors
    assert during, "the push ended after the build: make the data larger"
    assert [str(r.status) for r in results] == ["applied"] * ORDERS, results
    added = pd.Series([o["user_id"] for o in orders]).value_counts()
    assert _online_counts(env, users) == {u: online_before[u] + int(added[u]) for u in users}
    files = sorted((data / "raw" / "pushed_transactions").glob("batch-*.parquet"))
    ids = pd.concat(pd.read_parquet(p, columns=["transaction_id"]) for p in files)["transaction_id"]
    assert sorted(ids) == sorted(o["transaction_id"] for o in orders)  # each once, kept

    run_cli("delivery-fs", "build-features", env=env)  # the next build takes them, once each
    counts, expected = _ledger_counts(data / "features"), _expected_counts(data)
    assert (counts.reindex(expected.index) == expected).all()
    assert {u: int(counts[u]) for u in users} == {
        u: online_before[u] + int(added[u]) for u in users
    }
