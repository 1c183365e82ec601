"""AWS's naming rules for feature groups, features, tags and feature parameters, checked before any call."""

from __future__ import annotations

import base64
import re

from feature_repo.sagemaker.errors import SchemaMappingError

FEATURE_NAME = re.compile(r"[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}")
FEATURE_NAME_MAX = 64
GROUP_NAME = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}")
GROUP_NAME_MAX = 64
RESERVED_FEATURE_NAMES = frozenset({"is_deleted", "write_time", "api_invocation_time"})
MAX_FEATURES = 2500
GROUP_DESCRIPTION_MAX = 128
FEATURE_DESCRIPTION_MAX = 255
# Tag values and feature parameters allow letters, digits, spaces and _ . : / = + - (and @ in tags).
TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
PARAMETER_TEXT = re.compile(r"[\w .:/=+\-]*")
ENCODED_PREFIX = "base64:"


def check_feature_name(name: str, where: str) -> str:
    """``name`` if SageMaker accepts it as a feature name, else an error naming ``where`` it comes from."""
    if name.lower() in RESERVED_FEATURE_NAMES:
        raise SchemaMappingError(
            f"{where}: feature name '{name}' is reserved by SageMaker ({', '.join(sorted(RESERVED_FEATURE_NAMES))}); rename the Feast field."
        )
    if len(name) > FEATURE_NAME_MAX or not FEATURE_NAME.fullmatch(name):
        raise SchemaMappingError(
            f"{where}: feature name '{name}' breaks SageMaker's rule {FEATURE_NAME.pattern} "
            f"(letters and digits, single inner '-' or '_' runs, at most {FEATURE_NAME_MAX} characters); rename the Feast field."
        )
    return name


def group_name(prefix: str, view: str, version: int) -> str:
    """The feature group of version ``version`` of a view: ``{prefix}{view with hyphens}-v{version}``."""
    name = f"{prefix}{view.replace('_', '-')}-v{version}"
    if len(name) > GROUP_NAME_MAX or not GROUP_NAME.fullmatch(name):
        raise SchemaMappingError(
            f"view {view}: feature group name '{name}' breaks SageMaker's rule (letters, digits and single hyphens, "
            f"at most {GROUP_NAME_MAX} characters); shorten group_prefix or the view name."
        )
    return name


def group_version(prefix: str, view: str, name: str) -> int | None:
    """The version of ``name`` if it is a group of ``view`` under ``prefix``, else None."""
    found = re.fullmatch(re.escape(f"{prefix}{view.replace('_', '-')}-v") + r"(\d+)", name)
    return int(found.group(1)) if found else None


def _safe_text(value: str, allowed: re.Pattern, limit: int) -> str:
    """``value`` as is when AWS accepts it, else base64 with a prefix (reversible; apostrophes, commas...)."""
    if allowed.fullmatch(value) and len(value) <= limit and not value.startswith(ENCODED_PREFIX):
        return value
    encoded = ENCODED_PREFIX + base64.b64encode(value.encode()).decode()
    if len(encoded) > limit:
        raise SchemaMappingError(
            f"text too long for SageMaker ({len(value)} characters, at most {limit}): {value[:40]!r}..."
        )
    return encoded


def tag_value(value: str) -> str:
    return _safe_text(value, TAG_TEXT, 256)


def parameter_value(value: str) -> str:
    return _safe_text(value, PARAMETER_TEXT, 255)


def decoded_text(value: str) -> str:
    """The original text of a tag value or parameter written by ``tag_value``/``parameter_value``."""
    if value.startswith(ENCODED_PREFIX):
        return base64.b64decode(value[len(ENCODED_PREFIX) :]).decode()
    return value
