"""S3 through s3fs: publishing a directory of files atomically, reading it back, errors in our words.

Guarantee of ``publish_files``: every object is first uploaded under a staging key
(``<prefix>/.staging/<run>/``), then copied server-side onto its final key, and the manifest is
copied last. An S3 PUT or COPY replaces an object whole, so a reader never sees a partial file; a
reader that goes by the manifest (``data-horizon``) sees the previous set until every file of the
new one is in place. A failed run leaves the previous objects and manifest untouched (only staging
keys, removed on the next run). Credentials and endpoint come from the standard AWS chain
(``AWS_ENDPOINT_URL_S3`` for a local stand-in).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from feature_repo.core.errors import FeatureStoreError

STAGING = ".staging"


class S3StorageError(FeatureStoreError):
    """A bucket that is missing, refuses access or cannot be reached."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def from_url(cls, url: str) -> S3Location:
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        return cls(bucket, prefix.strip("/"))

    def key(self, *parts: str) -> str:
        """``bucket/prefix/parts`` as s3fs names it."""
        return "/".join(p for p in (self.bucket, self.prefix, *parts) if p)

    def url(self, *parts: str) -> str:
        return f"s3://{self.key(*parts)}"


def endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "AWS S3"


def s3_filesystem():
    """An s3fs filesystem on the standard AWS credential chain and endpoint variables."""
    import s3fs

    return s3fs.S3FileSystem(skip_instance_cache=True)


@contextmanager
def s3_errors(location: S3Location) -> Iterator[None]:
    """Missing bucket, denied access or unreachable endpoint, named with bucket and endpoint."""
    where = f"S3 bucket '{location.bucket}' at {endpoint()}"
    try:
        yield
    except PermissionError as error:
        raise S3StorageError(
            f"{where} denied access ({error}). Check the credentials and the IAM permissions "
            "docs/profiles/aws.md lists."
        ) from error
    except FileNotFoundError as error:
        raise S3StorageError(
            f"{where}: not found ({error}). Create the bucket or set DELIVERY_FS_DATA_DIR to "
            "s3://<an existing bucket>/<prefix>."
        ) from error
    except OSError as error:
        raise S3StorageError(f"{where} could not be reached: {error}") from error


def check_bucket(location: S3Location) -> None:
    """Fail early, with a clear message, when the bucket is missing or refuses us (HeadBucket)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    with s3_errors(location):
        try:
            boto3.client("s3").head_bucket(Bucket=location.bucket)
        except ClientError as error:
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 404:
                raise FileNotFoundError(f"no bucket named {location.bucket}") from error
            if status == 403:
                raise PermissionError(f"HeadBucket answered 403 {error}") from error
            raise OSError(str(error)) from error
        except BotoCoreError as error:
            raise OSError(str(error)) from error


def read_text(location: S3Location, name: str) -> str | None:
    """The text of one object, or ``None`` when there is none."""
    check_bucket(location)
    with s3_errors(location):
        try:
            return s3_filesystem().cat_file(location.key(name)).decode()
        except FileNotFoundError:
            return None


def publish_files(
    directory: Path, names: Sequence[str], manifest: str, target: S3Location, progress: bool = True
) -> bool:
    """Upload ``names`` and then ``manifest`` from ``directory`` under ``target`` (see the module's
    guarantee). Returns ``False`` when S3 already holds the same manifest (nothing to do)."""
    from fsspec.callbacks import NoOpCallback, TqdmCallback

    check_bucket(target)
    fs = s3_filesystem()
    local_manifest = (directory / manifest).read_text()
    if read_text(target, manifest) == local_manifest:
        return False
    staging = target.key(STAGING, uuid.uuid4().hex)
    with s3_errors(target):
        if fs.exists(target.key(STAGING)):  # what a failed run left
            fs.rm(target.key(STAGING), recursive=True)
        for name in [*names, manifest]:
            callback = (
                TqdmCallback(
                    tqdm_kwargs={"desc": f"upload {name}", "unit": "B", "unit_scale": True}
                )
                if progress
                else NoOpCallback()
            )
            fs.put_file(str(directory / name), f"{staging}/{name}", callback=callback)
        for name in [*names, manifest]:  # the manifest last
            fs.copy(f"{staging}/{name}", target.key(name))
        fs.rm(staging, recursive=True)
    return True


def download_files(source: S3Location, names: Sequence[str], directory: Path) -> None:
    """Copy ``names`` from ``source`` into ``directory`` (each through a temporary file)."""
    check_bucket(source)
    fs = s3_filesystem()
    directory.mkdir(parents=True, exist_ok=True)
    with s3_errors(source):
        for name in names:
            temporary = directory / f".{name}.{uuid.uuid4().hex}.tmp"
            fs.get_file(source.key(name), str(temporary))
            temporary.replace(directory / name)


def upload_file(path: Path, target: S3Location, name: str) -> None:
    """One file to ``target/name`` in one PUT: readers see the whole object or none."""
    check_bucket(target)
    with s3_errors(target):
        s3_filesystem().put_file(str(path), target.key(name))


def list_names(location: S3Location) -> list[str]:
    """The names of the objects directly under ``location`` (none when it is empty or absent)."""
    check_bucket(location)
    fs = s3_filesystem()
    with s3_errors(location):
        try:
            return sorted(
                Path(key).name for key in fs.ls(location.key(), detail=False, refresh=True)
            )
        except FileNotFoundError:
            return []
