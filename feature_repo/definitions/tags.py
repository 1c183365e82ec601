"""Tags shared by the definitions: who owns a feature, and whether it carries personal data."""

from feast import Field

OWNER = "delivery-data-science"


def view_tags(personal_data: bool, **extra: str) -> dict[str, str]:
    """Tags for a feature view: owner, personal-data flag, and any extra ones."""
    return {"owner": OWNER, "personal_data": str(personal_data).lower(), **extra}


def field_tags(personal_data: bool = False, window: str = "", known_at: str = "") -> dict[str, str]:
    """Tags for one feature: personal-data flag, window and the instant its value is known."""
    tags = {"personal_data": str(personal_data).lower()}
    if window:
        tags["window"] = window
    if known_at:
        tags["known_at"] = known_at
    return tags


def known_at_field(name: str, dtype: object, description: str, known_at: str) -> Field:
    """A non-personal field of a batch view, known at ``known_at``."""
    return Field(
        name=name, dtype=dtype, description=description, tags=field_tags(known_at=known_at)
    )


def feature_tags(feature: str, description: str, known_at: str) -> dict[str, str]:
    """View-level tags describing one feature (for on-demand views, whose fields cannot carry them)."""
    return {f"feature.{feature}.description": description, f"feature.{feature}.known_at": known_at}


# in a ``known_at`` tag: the value changes again later with time alone ("registration, then each
# birthday (midnight UTC)"), so it is exact online only while its view is materialized on schedule
RECURS_MARK = ", then each "


def changes_with_time(tags: dict[str, str]) -> bool:
    """Whether a field with these tags changes with time alone, after it is first known."""
    return RECURS_MARK in tags.get("known_at", "")


def carries_personal_data(tags: dict[str, str]) -> bool:
    """Whether an object with these tags must be treated as personal data.

    Only an explicit ``personal_data: false`` clears an object: a missing or misspelt tag counts
    as personal, so a new definition is protected until someone says otherwise.
    """
    return tags.get("personal_data", "").strip().lower() != "false"


VECTORISED_TAG = "vectorised_transform"


def vectorised_tags(function) -> dict[str, str]:
    """The view-level tag naming the vectorised form of an on-demand view's transform
    (``module:function``, its parameters named after the view's inputs), which the offline store
    runs on whole columns of a training frame instead of the row-wise python function."""
    return {VECTORISED_TAG: f"{function.__module__}:{function.__qualname__}"}
