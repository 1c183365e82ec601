"""Online store failures: each names the store at fault and what to do.

The backends' client errors (sqlite3 in ``sqlite.py``, redis-py in ``redis.py``, botocore in
``dynamodb.py``) are translated into these once per backend; ``translation.online_store_errors``
picks the backend of a store.
"""

from __future__ import annotations

from feature_repo.core.errors import FeatureStoreError

RERUN_HINT = "The command is safe to rerun once it is reachable."


class OnlineStoreError(FeatureStoreError):
    """The online store could not be reached or refused the work."""


class OnlineStoreUnavailableError(OnlineStoreError):
    """The online store cannot be reached (or was never created)."""


class MaterializationCheckError(OnlineStoreError):
    """A materialization reported success but the online store does not hold what it loaded."""
