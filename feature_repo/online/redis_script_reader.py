"""Reading the same fields of many entity hashes of a plain Redis (not a cluster) in one
server-side script call, instead of one pipelined ``HMGET`` per entity: redis-py spends several
microseconds on each pipelined command, and a push reads about a thousand ledgers at a time.

The reply is what the ``HMGET``s would have returned, entity by entity. A cluster cannot run a
script over keys of several slots: it reads through the pipeline.
"""

from __future__ import annotations

SCRIPT_ENTITIES = 2_000
HASH_FIELDS_SCRIPT = """
local replies = {}
for k = 1, #KEYS do
  replies[k] = redis.call('HMGET', KEYS[k], unpack(ARGV))
end
return replies
"""


class ScriptedHashReader:
    """Reads ``fields`` of many hashes through ``HASH_FIELDS_SCRIPT``."""

    def __init__(self, client) -> None:
        self.script = client.register_script(HASH_FIELDS_SCRIPT)

    def read(self, keys: list[bytes], fields: list[bytes]) -> list[list[bytes | None]]:
        """Per key, the values of ``fields`` (``None`` where a field, or the hash, is absent)."""
        replies: list[list[bytes | None]] = []
        for begin in range(0, len(keys), SCRIPT_ENTITIES):
            replies += self.script(keys=keys[begin : begin + SCRIPT_ENTITIES], args=fields)
        return replies
