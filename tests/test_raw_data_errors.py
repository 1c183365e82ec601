"""Bad raw input: a clear error naming file, column and first offending rows; previous tables untouched."""

from pathlib import Path

import pandas as pd
import pytest

from feature_repo.pipeline.errors import RawDataError
from feature_repo.pipeline.generate import generate_tutorial_data
from feature_repo.pipeline.raw_data import read_transactions, read_users
from tests.cli_runner import run_cli


@pytest.fixture(scope="module")
def good():
    tables = generate_tutorial_data(seed=5, scale=0.004)  # 50 users, about 900 transactions
    return tables.users, tables.transactions


def _write(tmp_path: Path, name: str, frame: pd.DataFrame) -> Path:
    path = tmp_path / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path


def _read_both(tmp_path, users: pd.DataFrame, transactions: pd.DataFrame):
    users_path, transactions_path = (
        _write(tmp_path, "users", users),
        _write(tmp_path, "transactions", transactions),
    )
    typed_users = read_users(users_path)
    return read_transactions(transactions_path, typed_users)


def test_good_files_read_back_with_types(tmp_path, good):
    transactions = _read_both(tmp_path, *good)
    assert str(transactions["transaction_date"].dtype) == "datetime64[us, UTC]"
    assert len(transactions) == len(good[1])


def test_missing_and_extra_columns(tmp_path, good):
    users, transactions = good
    with pytest.raises(RawDataError) as error:
        _read_both(
            tmp_path, users.drop(columns=["gender"]).assign(favourite_color="blue"), transactions
        )
    message = str(error.value)
    assert "users.csv" in message and "['gender']" in message and "['favourite_color']" in message


@pytest.mark.parametrize(
    ("table", "column", "bad_value", "expected"),
    [
        ("transactions", "amount", "twelve", "expected numbers"),
        ("transactions", "user_id", "12.5", "expected whole numbers"),
        ("transactions", "transaction_date", "2020-13-45 10:00:00", "unparseable date-times"),
        ("users", "birth_date", "15/06/1990", "unparseable dates"),
        ("transactions", "amount", "-3.5", "negative values"),
        ("transactions", "amount", "1e+308", "values above 100000"),
        ("transactions", "shipping_costs", "100000.5", "values above 100000"),
        ("transactions", "discount_coupon_amount", "100001", "values above 100000"),
        ("transactions", "transaction_id", "1e+30", "expected whole numbers (64-bit)"),
        ("transactions", "discount_coupon", "2", "expected 0 or 1"),
        ("transactions", "payment_method", "", "empty values"),
    ],
)
def test_bad_cells_name_file_column_and_line(tmp_path, good, table, column, bad_value, expected):
    users, transactions = (frame.astype({c: object for c in frame.columns}) for frame in good)
    frame = users if table == "users" else transactions
    frame.loc[3, column] = bad_value
    with pytest.raises(RawDataError) as error:
        _read_both(tmp_path, users, transactions)
    message = str(error.value)
    assert f"{table}.csv" in message and f"column '{column}'" in message and expected in message
    assert "line 5" in message  # row 3 under the header (line 1) is line 5
    assert repr(bad_value) in message or f"({bad_value})" in message


def test_duplicate_transaction_ids(tmp_path, good):
    users, transactions = good
    transactions = transactions.copy()
    transactions.loc[10, "transaction_id"] = transactions.loc[2, "transaction_id"]
    with pytest.raises(
        RawDataError, match=r"column 'transaction_id': duplicate ids.*line 4.*line 12"
    ):
        _read_both(tmp_path, users, transactions)


def test_transactions_of_unknown_users(tmp_path, good):
    users, transactions = good
    transactions = transactions.copy()
    transactions.loc[[4, 6], "user_id"] = 999
    with pytest.raises(RawDataError) as error:
        _read_both(tmp_path, users, transactions)
    assert "not in the users file" in str(error.value) and "2 more" not in str(error.value)
    assert "line 6 (999)" in str(error.value) and "line 8 (999)" in str(error.value)


def test_mixed_naive_and_aware_timestamps(tmp_path, good):
    users, transactions = good
    transactions = transactions.copy()
    transactions.loc[7, "transaction_date"] = transactions.loc[7, "transaction_date"] + "+02:00"
    with pytest.raises(RawDataError, match=r"mixed naive and time-zone-aware.*line 9"):
        _read_both(tmp_path, users, transactions)


def test_all_aware_timestamps_are_converted_to_utc(tmp_path, good):
    users, transactions = good
    shifted = transactions.assign(transaction_date=transactions["transaction_date"] + "-05:00")
    result = _read_both(tmp_path, users, shifted)
    naive = pd.to_datetime(transactions["transaction_date"]).dt.tz_localize("UTC")
    assert (result["transaction_date"] - naive == pd.Timedelta(hours=5)).all()


def test_empty_files(tmp_path, good):
    users, _ = good
    empty = tmp_path / "transactions.csv"
    empty.write_text("")
    typed_users = read_users(_write(tmp_path, "users", users))
    with pytest.raises(RawDataError, match="empty"):
        read_transactions(empty, typed_users)
    empty.write_text(",".join(good[1].columns) + "\n")
    with pytest.raises(RawDataError, match="header but no rows"):
        read_transactions(empty, typed_users)


def test_cli_exits_non_zero_and_leaves_previous_tables(tmp_path, good):
    env = {"DELIVERY_FS_DATA_DIR": str(tmp_path / "data")}
    run_cli("delivery-fs", "generate-data", "--scale", "0.004", "--seed", "5", env=env)
    run_cli("delivery-fs", "build-features", env=env)
    features = tmp_path / "data" / "features"
    before = {p.name: p.read_bytes() for p in features.iterdir()}
    rerun = run_cli("delivery-fs", "build-features", env=env)
    assert "unchanged" in rerun.stdout and "wrote" not in rerun.stdout
    assert (
        "unchanged"
        in run_cli(
            "delivery-fs", "generate-data", "--scale", "0.004", "--seed", "5", env=env
        ).stdout
    )

    users, transactions = good
    broken = transactions.astype({"amount": object})
    broken.loc[0, "amount"] = "-1"
    bad_transactions = _write(tmp_path, "transactions", broken)
    result = run_cli(
        "delivery-fs", "build-features", "--users", str(_write(tmp_path, "users", users)),
        "--transactions", str(bad_transactions), check=False, env=env,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        "transactions.csv" in result.stderr
        and "amount" in result.stderr
        and "line 2" in result.stderr
    )
    assert {p.name: p.read_bytes() for p in features.iterdir()} == before
