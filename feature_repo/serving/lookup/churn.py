"""Churn scores from the registered model and the online features of its pinned feature service.

    from feature_repo.serving.lookup.churn import churn_scorer
    scores = churn_scorer().score([123151, 118004])          # as of now
    scores[0].probability, scores[0].statuses["order_count_30d"], scorer.model.record.version

The scorer loads a registered model (``feature_repo.model.registry``; a named version or the
latest), reads the feature service the model was trained on through the lean reader (one round
trip to the store for all users) and scores the rows with the model's own row path, the one its
offline evaluation used, so that a score from online features at *t* equals the score of the
training row at *t*. A user the store knows nothing about is scored as the model scores missing
values and answered with ``known_user: false``.

Which model: ``DELIVERY_FS_CHURN_MODEL`` (a registered name, default ``churn_model``) and
``DELIVERY_FS_CHURN_MODEL_VERSION`` (default: the latest version), read when the scorer is made.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from feast import FeatureStore

from feature_repo.serving.lookup.online_features import (
    FeatureStatus,
    FeatureValue,
    OnlineFeatureReader,
)

if TYPE_CHECKING:
    from feature_repo.model.registry import ChurnModel

MODEL_ENV, VERSION_ENV = "DELIVERY_FS_CHURN_MODEL", "DELIVERY_FS_CHURN_MODEL_VERSION"
DEFAULT_MODEL = "churn_model"


@dataclass(frozen=True)
class ChurnScore:
    """One user's churn probability, with the features the model read and their statuses."""

    user_id: int
    probability: float
    features: dict[str, Any]
    statuses: dict[str, FeatureStatus]

    @property
    def known_user(self) -> bool:
        """False when the store has nothing about this user (every status NOT_FOUND)."""
        return any(s is not FeatureStatus.NOT_FOUND for s in self.statuses.values())


class ChurnScorer:
    """A registered churn model and the reader of its feature service, resolved once."""

    def __init__(self, store: FeatureStore, model: ChurnModel) -> None:
        self.model = model
        self.reader = OnlineFeatureReader(store, model.record.feature_service)
        served = set(self.reader.plan.output_names)
        missing = [name for name in model.record.feature_names if name not in served]
        if missing:
            from feature_repo.serving.errors import ServingError

            raise ServingError(
                f"model {model.record.name} v{model.record.version} reads {missing}, which its "
                f"feature service {model.record.feature_service} does not serve: retrain it "
                "(`delivery-fs train`) or serve the version it was trained on."
            )

    def read(
        self, user_ids: Sequence[int], now: datetime | None = None
    ) -> list[dict[str, FeatureValue]]:
        """The service's online features of each user as of ``now`` (one round trip)."""
        return self.reader.read([{"user_id": user} for user in user_ids], now=now)

    def score_rows(
        self, user_ids: Sequence[int], rows: list[dict[str, FeatureValue]]
    ) -> list[ChurnScore]:
        """Scores of rows already read (``read``), in the model's feature order."""
        names = self.model.record.feature_names
        features = [{name: row[name].value for name in names} for row in rows]
        probabilities = self.model.predict_proba_rows(features)
        return [
            ChurnScore(
                user_id=user,
                probability=float(probability),
                features=values,
                statuses={name: row[name].status for name in names},
            )
            for user, values, row, probability in zip(
                user_ids, features, rows, probabilities, strict=True
            )
        ]

    def score(self, user_ids: Sequence[int], now: datetime | None = None) -> list[ChurnScore]:
        """Churn scores of ``user_ids`` as of ``now`` (default: the current instant; naive: UTC)."""
        return self.score_rows(user_ids, self.read(user_ids, now))


def configured_model() -> tuple[str, str | None]:
    """The registered model name and version (None: the latest) the service is set to load."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL, os.environ.get(VERSION_ENV) or None


@lru_cache(maxsize=4)
def churn_scorer(store: FeatureStore | None = None) -> ChurnScorer:
    """The scorer of the configured model on ``store`` (default: the repository's), made once."""
    from feature_repo.model.registry import load_model
    from feature_repo.serving.lookup.checkout import default_store

    name, version = configured_model()
    return ChurnScorer(store or default_store(), load_model(name, version))
