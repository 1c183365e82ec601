"""Building in parts: the same tables as one part, the same errors as reading the file whole,
and a failed or killed run leaves the previous tables readable and its leftovers are removed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from feature_repo.core.tables import FEATURE_TABLES, USER_ORDER_LEDGER
from feature_repo.pipeline.build import build_feature_files
from feature_repo.pipeline.errors import RawDataError
from feature_repo.pipeline.generate import generate_tutorial_data
from feature_repo.pipeline.raw_data import read_users, scan_transactions

USERS_PER_PART = 7  # about 90 parts of 7 users for 600 users: many users' histories end at a cut


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    directory = tmp_path_factory.mktemp("raw")
    tables = generate_tutorial_data(seed=11, scale=0.05)  # 623 users, about 11,000 orders
    tables.users.to_csv(directory / "users.csv", index=False)
    tables.transactions.to_csv(directory / "transactions.csv", index=False)
    return directory, tables


@pytest.fixture(scope="module")
def one_part(raw, tmp_path_factory):
    directory, tables = raw
    out = tmp_path_factory.mktemp("one_part")
    build_feature_files(
        directory / "users.csv",
        directory / "transactions.csv",
        out,
        users_per_part=len(tables.users),
    )
    return out


def _read(directory: Path, table) -> pd.DataFrame:
    frame = pd.read_parquet(directory / table.file_name)
    return frame.sort_values(list(table.order), ignore_index=True)


def test_many_parts_give_the_tables_of_one_part(raw, one_part, tmp_path):
    directory, tables = raw
    result = build_feature_files(
        directory / "users.csv",
        directory / "transactions.csv",
        tmp_path,
        users_per_part=USERS_PER_PART,
    )
    import pyarrow.parquet as pq

    parts = pq.ParquetFile(tmp_path / "user_profile.parquet").num_row_groups
    assert parts == -(-len(tables.users) // USERS_PER_PART) > 50
    for table in FEATURE_TABLES:
        many, single = _read(tmp_path, table), _read(one_part, table)
        assert len(many) == result.rows[table.name] > 0
        pd.testing.assert_frame_equal(many, single)
    # the serving ledger too, written part by part in the same build
    assert pq.ParquetFile(tmp_path / USER_ORDER_LEDGER.file_name).num_row_groups == parts
    ledger = _read(tmp_path, USER_ORDER_LEDGER)
    pd.testing.assert_frame_equal(ledger, _read(one_part, USER_ORDER_LEDGER))
    assert result.serving_rows == {USER_ORDER_LEDGER.name: len(ledger)}
    orders = tables.transactions.groupby("user_id").size()  # every user once, with their orders
    assert ledger["user_id"].tolist() == sorted(tables.users["user_id"])
    counted = ledger.set_index("user_id")["lifetime_order_count"]
    assert counted.to_dict() == orders.reindex(counted.index, fill_value=0).to_dict()


def _bad(frame: pd.DataFrame, column: str, rows: list[int], value) -> pd.DataFrame:
    broken = frame.astype({column: object})
    broken.loc[rows, column] = value
    return broken


CASES = [
    ("amount", [9_500, 9_800], "-1"),  # negative, far into the file
    ("transaction_date", [9_000], "2020-06-01 10:00:00+02:00"),  # a mix, seen in one late chunk
    ("user_id", [10, 9_700], "x"),  # a type error beats ...
    ("transaction_id", [20, 10_200], 1),  # ... a duplicate id
]


@pytest.mark.parametrize(("column", "rows", "value"), CASES)
def test_errors_read_in_chunks_equal_those_of_the_whole_file(raw, tmp_path, column, rows, value):
    directory, tables = raw
    path = tmp_path / "transactions.csv"
    _bad(tables.transactions, column, rows, value).to_csv(path, index=False)
    users = read_users(directory / "users.csv")
    messages = []
    for chunk_rows in (len(tables.transactions), 1_000, 97):
        with pytest.raises(RawDataError) as error:
            scan_transactions(path, users, lambda chunk: None, chunk_rows=chunk_rows)
        messages.append(str(error.value))
    assert messages[0] == messages[1] == messages[2]
    assert f"line {rows[0] + 2} " in messages[0]


def test_a_mix_across_chunks_is_found(raw, tmp_path):
    directory, tables = raw
    transactions = tables.transactions.copy()
    late = transactions.index >= 10_000  # only the last chunks carry an offset
    transactions.loc[late, "transaction_date"] += "+00:00"
    path = tmp_path / "transactions.csv"
    transactions.to_csv(path, index=False)
    with pytest.raises(RawDataError, match=r"mixed naive .* with a UTC offset.*line 10002 "):
        scan_transactions(path, read_users(directory / "users.csv"), lambda c: None, chunk_rows=500)


def test_a_defect_in_a_late_part_keeps_the_previous_tables(raw, one_part, tmp_path):
    directory, tables = raw
    out = tmp_path / "features"
    build_feature_files(directory / "users.csv", directory / "transactions.csv", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tables.transactions.copy()
    last_user = broken["user_id"].max()  # in the last part of users that ordered
    row = broken.index[broken["user_id"] == last_user][-1]
    broken.loc[row, "discount_coupon"] = 3
    path = tmp_path / "transactions.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(
        RawDataError, match=rf"column 'discount_coupon': expected 0 or 1.*line {row + 2} \(3\)"
    ):
        build_feature_files(directory / "users.csv", path, out, users_per_part=USERS_PER_PART)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".features-build-*"))


KILLED_BUILD = """
import sys
from pathlib import Path
import feature_repo.pipeline.parts as parts
from feature_repo.pipeline.build import build_feature_files

write = parts.TableFiles.write
def slow_write(self, tables, names):
    write(self, tables, names)
    print("part written", flush=True)
    import time; time.sleep(0.5)
parts.TableFiles.write = slow_write
raw, out = Path(sys.argv[1]), Path(sys.argv[2])
build_feature_files(raw / "users.csv", raw / "transactions.csv", out, force=True, users_per_part=7)
"""


def test_a_killed_build_leaves_the_tables_and_the_next_run_cleans_up(raw, tmp_path):
    directory, _ = raw
    out = tmp_path / "features"
    build_feature_files(directory / "users.csv", directory / "transactions.csv", out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / ".user_profile.parquet.0123abcd.tmp").write_bytes(b"left by an older version")
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(directory), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    for _ in range(3):  # a few parts written into the staging directory
        assert process.stdout.readline().startswith("part written")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    leftovers = list(tmp_path.glob(".features-build-*"))
    assert len(leftovers) == 1 and any(leftovers[0].iterdir())
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix != ".tmp"} == before
    for table in FEATURE_TABLES:  # still readable as a whole
        assert len(pd.read_parquet(out / table.file_name)) > 0

    started = time.monotonic()
    build_feature_files(directory / "users.csv", directory / "transactions.csv", out, force=True)
    assert time.monotonic() - started < 120
    assert not list(tmp_path.glob(".features-build-*"))
    assert not list(out.glob(".*.tmp"))
    assert {p.name for p in out.iterdir()} == set(before)
