"""Feature views of the user entity: profile and trailing-window order statistics."""

from datetime import timedelta

from feast import FeatureView, Field
from feast.types import Float64, Int64, String, UnixTimestamp

from feature_repo.definitions.entities import user
from feature_repo.definitions.sources import user_order_stats_source, user_profile_source
from feature_repo.definitions.tags import field_tags, view_tags
from feature_repo.transforms.window_rule import PER_WINDOW, WINDOW_DAYS

AT_REGISTRATION = "registration (midnight UTC of registration_date)"
AT_CHANGE = "each change: registration, each order, each order's exit from the window"

user_profile = FeatureView(
    name="user_profile",
    entities=[user],
    ttl=timedelta(days=400),
    schema=[
        Field(
            name="age_years",
            dtype=Int64,
            description="Completed years of age at the lookup time (from birth_date, which is not served).",
            tags=field_tags(
                personal_data=True, known_at="registration, then each birthday (midnight UTC)"
            ),
        ),
        Field(
            name="gender",
            dtype=String,
            description="Gender as registered (M/F).",
            tags=field_tags(True, known_at=AT_REGISTRATION),
        ),
        Field(
            name="neighborhood",
            dtype=String,
            description="Manhattan neighbourhood of the user.",
            tags=field_tags(True, known_at=AT_REGISTRATION),
        ),
        Field(
            name="service_type",
            dtype=String,
            description="Service plan: normal or premium.",
            tags=field_tags(known_at=AT_REGISTRATION),
        ),
        Field(
            name="registration_channel",
            dtype=String,
            description="Channel through which the user registered.",
            tags=field_tags(known_at=AT_REGISTRATION),
        ),
        Field(
            name="operating_system",
            dtype=String,
            description="Operating system of the app: Android, IOS or Web.",
            tags=field_tags(known_at=AT_REGISTRATION),
        ),
        Field(
            name="registered_at",
            dtype=UnixTimestamp,
            description="Registration instant (midnight UTC); input of tenure_days.",
            tags=field_tags(known_at=AT_REGISTRATION),
        ),
    ],
    source=user_profile_source,
    online=True,
    description="Who the user is: demographics and app profile; a row at registration and at each birthday.",
    tags=view_tags(personal_data=True),
)


# the Feast type of each kind of windowed aggregate (``window_rule.PER_WINDOW``)
WINDOW_TYPES = {"count": Int64, "sum": Int64, "money": Float64, "ratio": Float64, "top": String}


def _window_fields(days: int) -> list[Field]:
    tags = field_tags(window=f"trailing {days} days, (t-{days}d, t]", known_at=AT_CHANGE)
    return [
        Field(name=aggregate.column(days), dtype=WINDOW_TYPES[aggregate.kind],
              description=aggregate.description.format(days=days), tags=tags)
        for aggregate in PER_WINDOW
    ]  # fmt: skip


user_order_stats = FeatureView(
    name="user_order_stats",
    entities=[user],
    ttl=timedelta(days=365),
    schema=[
        *[field for days in WINDOW_DAYS for field in _window_fields(days)],
        Field(
            name="last_order_at",
            dtype=UnixTimestamp,
            description="Instant of the user's latest order; input of days_since_last_order.",
            tags=field_tags(known_at="each order"),
        ),
        Field(
            name="lifetime_order_count",
            dtype=Int64,
            description="Orders since registration.",
            tags=field_tags(known_at="each order"),
        ),
    ],
    source=user_order_stats_source,
    online=True,
    description="How the user orders: counts, spend, shipping, coupons and food categories over trailing 7, 30 and 90 days.",
    tags=view_tags(personal_data=False),
)
