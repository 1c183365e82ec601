"""The soak's pure checks (tools/devtools/soak/checks.py, readers.error_kinds): orders classified from a
record and store contents, and recovery times from read slices, against hand-computed values."""

from __future__ import annotations

from devtools.soak.checks import classify, outcomes, recovery_seconds
from devtools.soak.readers import error_kinds

RECORD = [  # (transaction id, answer), in the order the client was told
    (1, "applied"),
    (2, "failed"), (2, "applied"),  # retried after a failure
    (3, "no_answer"), (3, "duplicate"),  # the first send was applied without an answer
    (4, "failed"), (4, "failed"),
    (5, "no_answer"),
    (6, "applied"), (6, "duplicate"),  # the batch sent twice
    (7, "late"),
    (8, "failed"),
    (9, "applied"),
]  # fmt: skip
ONLINE = {1: 1, 2: 1, 3: 1, 5: 1, 6: 2, 8: 1}  # occurrences in the ledgers
OFFLINE = {1: 1, 2: 1, 4: 1, 5: 1, 6: 1, 7: 1, 9: 1}  # occurrences in the offline pushed data


def test_outcome_is_acknowledged_once_any_answer_acknowledged_else_the_last_answer():
    told = outcomes({"transaction_id": t, "answer": a} for t, a in RECORD)
    assert told == {1: "applied", 2: "applied", 3: "duplicate", 4: "failed", 5: "no_answer",
                    6: "applied", 7: "late", 8: "failed", 9: "applied"}  # fmt: skip


def test_orders_classified_lost_doubled_half_applied():
    found = classify(
        outcomes({"transaction_id": t, "answer": a} for t, a in RECORD), ONLINE, OFFLINE
    )
    # 3: acknowledged, not offline; 9: acknowledged, not online.
    assert (found.lost_online, found.lost_offline) == ([9], [3])
    assert (found.doubled_online, found.doubled_offline) == ([6], [])
    # 4: failed, offline only; 8: failed, online only; 5 is in both (applied unanswered): fine.
    assert found.half_applied == [4, 8]
    assert (found.lost, found.doubled) == (2, 1)


def test_nothing_found_when_every_acknowledged_order_is_held_once():
    told = {1: "applied", 2: "duplicate", 3: "failed"}
    found = classify(told, {1: 1, 2: 1}, {1: 1, 2: 1})
    assert (found.lost, found.doubled, found.half_applied) == (0, 0, [])


SLICES = [  # start, end (s), p99 (ms), errors
    (0, 2, 10.0, 0), (2, 4, 12.0, 0), (4, 6, 50.0, 3), (6, 8, 40.0, 0), (8, 10, 14.0, 0),
    (10, 12, 15.0, 0), (12, 14, None, 0), (14, 16, 30.0, 0),
]  # fmt: skip


def _slices():
    return [{"start": s, "end": e, "p99_ms": p, "errors": n} for s, e, p, n in SLICES]


def test_recovery_is_the_end_of_the_first_quiet_slice_after_the_fault():
    # quiet p99 10 ms: a slice recovers at p99 <= 15 ms without errors.
    assert recovery_seconds(_slices(), 3.0, 10.0) == 7.0  # (4,6) errors, (6,8) 40 ms, (8,10) 14 ms
    assert recovery_seconds(_slices(), 9.0, 10.0) == 3.0  # (10,12) at exactly 1.5x counts
    assert recovery_seconds(_slices(), 0.0, 10.0) == 2.0
    assert recovery_seconds(_slices(), 11.0, 10.0) is None  # nothing answered, then 30 ms
    assert recovery_seconds(_slices(), 3.0, 10.0, factor=5.0) == 5.0  # (6,8): 40 <= 50


def test_wrk_errors_by_kind():
    report = (
        "  2 threads and 8 connections\n  Latency   1.00ms  2.00ms  30.00ms   90.00%\n"
        "  1000 requests in 2.00s, 100.00KB read\n"
        "  Socket errors: connect 1, read 2, write 0, timeout 3\n"
        "  Non-2xx or 3xx responses: 7\nRequests/sec:    500.00\n"
    )
    assert error_kinds(report) == {"non_2xx": 7, "connect": 1, "read": 2, "write": 0, "timeout": 3}
    assert error_kinds("Requests/sec: 1.0\n") == dict.fromkeys(
        ("non_2xx", "connect", "read", "write", "timeout"), 0
    )
