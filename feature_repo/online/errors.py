"""Online store failures: each names the store at fault and what to do.

The backends' client errors (sqlite3 here, redis-py in ``redis.py``, botocore in ``dynamodb.py``)
are translated into these once per backend; ``translation.online_store_errors`` picks the backend.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

from feature_repo.errors import FeatureStoreError

RERUN_HINT = "The command is safe to rerun once it is reachable."


class OnlineStoreError(FeatureStoreError):
    """The online store could not be reached or refused the work."""


class OnlineStoreUnavailableError(OnlineStoreError):
    """The online store cannot be reached (or was never created)."""


class MaterializationCheckError(OnlineStoreError):
    """A materialization reported success but the online store does not hold what it loaded."""


def describe_online_store(online_config) -> str:
    """The online store as an operator finds it: type and endpoint or path."""
    kind = getattr(online_config, "type", "online store")
    for attribute in ("path", "connection_string", "endpoint_url", "region"):
        where = getattr(online_config, attribute, None)
        if where:
            return f"{kind} online store at {where}"
    return f"{kind} online store"


@contextmanager
def sqlite_errors(online_config):
    try:
        yield
    except sqlite3.OperationalError as error:
        raise OnlineStoreUnavailableError(
            f"Cannot read the {describe_online_store(online_config)}: {error}. Check that the file "
            "exists, and that `feast apply` and `feast materialize` have run against it."
        ) from error
