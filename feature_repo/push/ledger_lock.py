"""One push part at a time per online store: the part's ledgers are read, the orders applied to
them and the rows written back under one lock.

Without it, two pushes touching the same user at once (two requests of the scoring service, two
workers, a replay beside the service) would both apply their orders to the same stored ledger, and
the later write would drop the other's orders from the ledger and the user's stats, though both
were reported ``applied``. The lock is the store's, so it holds across threads, processes and (on
Redis) machines:

- **Redis and Redis Cluster:** redis-py's lock (``SET NX PX`` with a token; released by a script
  that checks the token) on one key of the project, ``<project>:delivery_fs:push_lock``. Its lease
  (``LEASE_SECONDS``) frees it when a pusher dies holding it.
- **SQLite:** an exclusive ``flock`` on a file beside the database, ``<database>.push.lock``,
  freed by the kernel when its holder exits.
- **DynamoDB:** an item of the ledger view's table, ``entity_id`` ``delivery_fs:push_lock`` (no
  entity key serializes to it), put only when absent or its lease has ended and deleted only by its
  owner (conditional writes).
- **Any other store:** a lock of this process only.

A part waits at most ``WAIT_SECONDS`` for the lock; then its orders are reported ``failed`` with
the reason, and pushing them again applies each once. A store failing at the release leaves the
part as written (its lease frees the lock); a lease that ended before the release fails the part.
"""

from __future__ import annotations

import fcntl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from feast import FeatureStore

from feature_repo.core.feast_internals import dynamodb_client, redis_client, sqlite_db_path
from feature_repo.online.errors import OnlineStoreError
from feature_repo.online.translation import online_backend, online_store_errors

LEASE_SECONDS = 10.0  # a part takes well under a second; a dead holder's lock frees after this
WAIT_SECONDS = 15.0  # longer than a lease, so a dead holder never fails the waiters
POLL_SECONDS = 0.002
DYNAMODB_POLL_SECONDS = 0.01  # a conditional put per poll: a write unit each
LOCK_NAME = "delivery_fs:push_lock"  # the Redis key's suffix, the DynamoDB item's entity_id
_PROCESS_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()


class PushLockTimeoutError(OnlineStoreError):
    """Another push held the store's push lock for longer than ``WAIT_SECONDS``."""


@contextmanager
def push_lock(store: FeatureStore, ledger_view: str, hint: str) -> Iterator[None]:
    """Hold the online store's push lock (see the module; on DynamoDB an item of the table of
    ``ledger_view``); ``hint`` ends a timeout's message."""
    backend = online_backend(store.config.online_store)
    if backend == "redis":
        held = _redis_lock(store, hint)
    elif backend == "sqlite":
        held = _file_lock(Path(f"{sqlite_db_path(store.config)}.push.lock"), hint)
    elif backend == "dynamodb":
        held = _dynamodb_lock(store, ledger_view, hint)
    else:
        held = _process_lock(store, hint)
    with held:
        yield


def lock_key(store: FeatureStore) -> str:
    """The Redis key of the project's push lock."""
    return f"{store.config.project}:{LOCK_NAME}"


@contextmanager
def _redis_lock(store: FeatureStore, hint: str) -> Iterator[None]:
    with online_store_errors(store, hint):
        client = redis_client(store.provider.online_store, store.config.online_store)
        lock = client.lock(
            lock_key(store), timeout=LEASE_SECONDS, sleep=POLL_SECONDS,
            blocking_timeout=WAIT_SECONDS, thread_local=False,
        )  # fmt: skip
        if not lock.acquire():
            raise _timeout(f"the Redis key {lock_key(store)}", hint)
    try:
        yield
    finally:
        _released(store, lock, hint)


def _released(store: FeatureStore, lock, hint: str) -> None:
    """The lock released; a store that fails now leaves the part as written (its lease frees the
    lock), but a lease that ended before is reported."""
    from redis.exceptions import LockError, RedisError  # the redis extra, there with a Redis store

    try:
        lock.release()
    except LockError as error:
        raise _lease_ended(f"the Redis key {lock_key(store)}", error, hint) from error
    except RedisError:
        pass


def _lease_ended(lock: str, error: Exception, hint: str) -> OnlineStoreError:
    return OnlineStoreError(
        f"The push lock ({lock}) lease of {LEASE_SECONDS:g} s ended before this part was written "
        f"({error}), so another push may have read the same ledgers. {hint}"
    )


@contextmanager
def _file_lock(path: Path, hint: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:

        def attempt() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _acquired(attempt, POLL_SECONDS, f"the lock file {path}", hint)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _dynamodb_lock(store: FeatureStore, ledger_view: str, hint: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError  # the aws extra, with DynamoDB

    config = store.config.online_store
    client = dynamodb_client(store.provider.online_store, config)
    table = config.table_name_template.format(project=store.config.project, table_name=ledger_view)
    key, owner = {"entity_id": {"S": LOCK_NAME}}, {"S": uuid.uuid4().hex}

    def attempt() -> bool:
        now = time.time()
        lease = {"lock_owner": owner, "lease_until": {"N": f"{now + LEASE_SECONDS:.6f}"}}
        try:
            client.put_item(
                TableName=table, Item={**key, **lease},
                ConditionExpression="attribute_not_exists(entity_id) OR lease_until < :now",
                ExpressionAttributeValues={":now": {"N": f"{now:.6f}"}},
            )  # fmt: skip
        except ClientError as error:
            if not _condition_failed(error):
                raise
            return False
        return True

    with online_store_errors(store, hint):
        _acquired(
            attempt, DYNAMODB_POLL_SECONDS, f"the item {LOCK_NAME} of the table {table}", hint
        )
    try:
        yield
    finally:  # as ``_released``: only a lease that ended is reported
        try:
            client.delete_item(
                TableName=table, Key=key, ConditionExpression="lock_owner = :owner",
                ExpressionAttributeValues={":owner": owner},
            )  # fmt: skip
        except ClientError as error:
            if _condition_failed(error):
                raise _lease_ended(f"{table}'s item {LOCK_NAME}", error, hint) from error
        except BotoCoreError:
            pass


def _acquired(attempt: Callable[[], bool], poll: float, what: str, hint: str) -> None:
    """Call ``attempt`` every ``poll`` seconds until it takes the lock, for ``WAIT_SECONDS`` at most
    (then a timeout naming ``what``)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not attempt():
        if time.monotonic() >= deadline:
            raise _timeout(what, hint)
        time.sleep(poll)


def _condition_failed(error) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


@contextmanager
def _process_lock(store: FeatureStore, hint: str) -> Iterator[None]:
    identity = (store.config.project, store.config.online_store.model_dump_json())
    with _PROCESS_LOCKS_GUARD:
        lock = _PROCESS_LOCKS.setdefault(identity, threading.Lock())
    if not lock.acquire(timeout=WAIT_SECONDS):
        raise _timeout("this process' push lock", hint)
    try:
        yield
    finally:
        lock.release()


def _timeout(what: str, hint: str) -> PushLockTimeoutError:
    return PushLockTimeoutError(
        f"Another push held {what} for over {WAIT_SECONDS:g} s, so these orders were not applied. "
        f"{hint}"
    )
