"""Typed settings of the SageMaker mirror, read from a YAML file (``--config`` or ``$DELIVERY_FS_SAGEMAKER_CONFIG``).

Every field has a default, so an empty file (or none) is valid; see docs/sagemaker.md for an example.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from feature_repo.sagemaker.errors import SageMakerMirrorError

CONFIG_ENV = "DELIVERY_FS_SAGEMAKER_CONFIG"
FeatureType = Literal["Integral", "Fractional", "String"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OnlineStoreSettings(_Strict):
    enabled: bool = True
    # SageMaker counts a record's TTL from its event time: a Feast TTL of 365 days would expire
    # 2020 data at once, so no TTL unless one is asked for.
    ttl_days: int | None = Field(default=None, ge=1)


class OfflineStoreSettings(_Strict):
    enabled: bool = True
    s3_uri: str = Field(
        default="s3://delivery-fs-feature-store/offline",
        pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$",
    )
    table_format: Literal["Glue", "Iceberg"] = "Glue"
    disable_glue_table_creation: bool = True


class SageMakerSettings(_Strict):
    group_prefix: str = Field(
        default="delivery-fs-", pattern=r"^([a-zA-Z0-9][a-zA-Z0-9-]*)?$", max_length=40
    )
    region: str | None = None
    role_arn: str = Field(
        default="arn:aws:iam::123456789012:role/delivery-fs-sagemaker-feature-store",
        pattern=r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$",
    )
    online_store: OnlineStoreSettings = OnlineStoreSettings()
    offline_store: OfflineStoreSettings = OfflineStoreSettings()
    event_time_format: Literal["iso8601", "unix_seconds"] = "iso8601"
    # "view.feature": SageMaker type, for Feast types with no default mapping (lists, maps, bytes);
    # such values are sent as JSON text (String) or as numbers.
    type_overrides: dict[str, FeatureType] = {}
    views: list[str] | None = None  # None: every batch feature view but serving-only ones
    max_workers: int = Field(default=16, ge=1, le=64)  # 8 gave 8x one-at-a-time at 20 ms/call
    retry_mode: Literal["standard", "adaptive"] = "standard"
    max_attempts: int = Field(default=8, ge=1, le=20)  # every attempt, the first included
    connect_timeout_seconds: float = Field(default=5, gt=0)
    read_timeout_seconds: float = Field(default=30, gt=0)
    create_timeout_seconds: float = Field(default=600, gt=0)
    poll_seconds: float = Field(default=5, gt=0)

    @field_validator("type_overrides")
    @classmethod
    def _qualified(cls, overrides: dict[str, str]) -> dict[str, str]:
        bad = [key for key in overrides if key.count(".") != 1]
        if bad:
            raise ValueError(f"type_overrides keys must be 'view.feature', got {bad}")
        return overrides


def load_settings(path: Path | None = None) -> SageMakerSettings:
    """Settings from ``path``, else ``$DELIVERY_FS_SAGEMAKER_CONFIG``, else the defaults."""
    chosen = path or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if chosen is None:
        return SageMakerSettings()
    try:
        raw = yaml.safe_load(chosen.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise SageMakerMirrorError(
            f"Cannot read the SageMaker settings {chosen}: {error}"
        ) from error
    try:
        return SageMakerSettings.model_validate(raw)
    except ValidationError as error:
        raise SageMakerMirrorError(f"Invalid SageMaker settings in {chosen}:\n{error}") from error
