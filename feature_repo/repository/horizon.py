"""The data horizon: the instant up to which the built feature tables are complete."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feature_repo.core.paths import data_on_s3, features_dir
from feature_repo.core.timestamps import utc
from feature_repo.pipeline.build import read_manifest
from feature_repo.pipeline.errors import PipelineError


def data_horizon(directory: Path | None = None) -> pd.Timestamp:
    """The instant up to which the built feature tables are complete (from the build manifest:
    the published one when the data location is on S3 and no ``directory`` is given)."""
    if directory is None and data_on_s3():
        from feature_repo.pipeline.remote import published_features_manifest

        manifest = published_features_manifest()
    else:
        manifest = read_manifest(directory or features_dir())
    if not manifest:
        raise PipelineError(
            f"No feature build found in {directory or features_dir()}: run `delivery-fs build-features` first."
        )
    return utc(manifest["horizon"])
