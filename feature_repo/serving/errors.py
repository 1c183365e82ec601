"""Errors of online lookups: each says what was expected, or which store could not be reached."""

from __future__ import annotations

from feature_repo.errors import FeatureStoreError


class ServingError(FeatureStoreError):
    """Base class of online-lookup errors."""


class UnknownFeatureServiceError(ServingError):
    """The feature service (or a feature name) is not in the registry."""


class InvalidEntityError(ServingError):
    """Entity rows that are empty, lack a join key or carry a value of the wrong type."""


class MissingRequestDataError(ServingError):
    """A request field that an on-demand view needs is absent."""


class OnlineStoreUnavailableError(ServingError):
    """The online store cannot be reached (or was never created)."""
