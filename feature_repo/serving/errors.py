"""Errors of online lookups: each says what was expected, or which store could not be reached.

A store that cannot be reached raises ``OnlineStoreUnavailableError``, translated once per backend
in ``feature_repo.online.errors`` and re-exported here for serving code.
"""

from __future__ import annotations

from feature_repo.core.errors import FeatureStoreError
from feature_repo.online.errors import OnlineStoreUnavailableError

__all__ = [
    "InvalidEntityError",
    "MissingRequestDataError",
    "OnlineStoreUnavailableError",
    "ServingError",
    "UnknownFeatureServiceError",
]


class ServingError(FeatureStoreError):
    """Base class of online-lookup errors."""


class UnknownFeatureServiceError(ServingError):
    """The feature service (or a feature name) is not in the registry."""


class InvalidEntityError(ServingError):
    """Entity rows that are empty, lack a join key or carry a value of the wrong type."""


class MissingRequestDataError(ServingError):
    """A request field that an on-demand view needs is absent."""
