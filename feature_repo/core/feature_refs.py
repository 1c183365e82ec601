"""Feature references as Feast writes them: ``view:feature``, or ``view@vN:feature`` for a pinned version."""

from __future__ import annotations

from dataclasses import dataclass

from feature_repo.core.errors import FeatureStoreError

VERSION_MARK = "@v"


class FeatureRefError(FeatureStoreError):
    """A feature reference that is not ``view:feature`` or ``view@vN:feature``."""


@dataclass(frozen=True)
class FeatureRef:
    view: str
    feature: str
    version: int | None = None  # None: the view's active version

    def __str__(self) -> str:
        return f"{versioned_view(self.view, self.version)}:{self.feature}"


def parse_feature_ref(text: str) -> FeatureRef:
    """``view:feature`` or ``view@vN:feature`` as a ``FeatureRef``."""
    qualified, colon, feature = text.partition(":")
    try:
        if not colon or not feature or ":" in feature:
            raise FeatureRefError(text)
        view, version = parse_view_name(qualified)
    except FeatureRefError:
        raise FeatureRefError(
            f"'{text}' is not a feature reference: expected 'view:feature' or 'view@vN:feature'."
        ) from None
    return FeatureRef(view, feature, version)


def parse_view_name(name: str) -> tuple[str, int | None]:
    """``view`` or ``view@vN`` as (view, version or None)."""
    view, mark, version = name.partition(VERSION_MARK)
    if not view or (mark and not version.isdigit()):
        raise FeatureRefError(f"'{name}' is not a view name: expected 'view' or 'view@vN'.")
    return view, int(version) if mark else None


def versioned_view(view: str, version: int | None) -> str:
    """``view@vN``, or ``view`` when no version is pinned."""
    return view if version is None else f"{view}{VERSION_MARK}{version}"
