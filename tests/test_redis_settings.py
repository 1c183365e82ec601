"""Settings of the bulk Redis class: Feast's own are accepted, ``skip_dedup`` is refused by name."""

import pytest
from pydantic import ValidationError

from feature_repo.online.redis import BulkRedisOnlineStoreConfig


def test_feasts_redis_settings_are_accepted():
    config = BulkRedisOnlineStoreConfig(
        connection_string="127.0.0.1:6379,db=2", key_ttl_seconds=60, redis_type="redis"
    )
    assert (config.connection_string, config.key_ttl_seconds, config.skip_dedup) == (
        "127.0.0.1:6379,db=2", 60, False,
    )  # fmt: skip


def test_skip_dedup_is_refused_with_what_to_do():
    with pytest.raises(ValidationError) as raised:
        BulkRedisOnlineStoreConfig(connection_string="127.0.0.1:6379", skip_dedup=True)
    message = str(raised.value)
    assert "skip_dedup" in message and "type: redis" in message and "remove the setting" in message
