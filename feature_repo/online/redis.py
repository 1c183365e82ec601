"""Redis and Redis Cluster online stores: where they are, and their errors in our words."""

from __future__ import annotations

from contextlib import contextmanager

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from feature_repo.online.errors import RERUN_HINT, OnlineStoreError, OnlineStoreUnavailableError


def redis_endpoints(online_config) -> str:
    """The ``host:port`` parts of the connection string (options such as a password left out)."""
    parts = str(online_config.connection_string).split(",")
    return ",".join(part for part in parts if "=" not in part)


@contextmanager
def redis_errors(online_config):
    kind = "Redis Cluster" if str(online_config.redis_type).endswith("cluster") else "Redis"
    where = f"{kind} at {redis_endpoints(online_config)}"
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, RedisClusterException) as error:
        raise OnlineStoreUnavailableError(
            f"{where} (online store) is unreachable: {error}. Start it, or point "
            f"DELIVERY_FS_REDIS at a reachable server. {RERUN_HINT}"
        ) from error
    except ResponseError as error:
        raise OnlineStoreError(f"{where} (online store) refused a command: {error}.") from error
