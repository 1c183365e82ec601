"""Entities: who or what a feature describes."""

from feast import Entity, ValueType

from feature_repo.definitions.tags import view_tags

user = Entity(
    name="user",
    join_keys=["user_id"],
    value_type=ValueType.INT64,
    description="A customer of the delivery app (users.user_id).",
    tags=view_tags(personal_data=False),
)

transaction = Entity(
    name="transaction",
    join_keys=["transaction_id"],
    value_type=ValueType.INT64,
    description="One order placed in the app (transactions.transaction_id).",
    tags=view_tags(personal_data=False),
)
