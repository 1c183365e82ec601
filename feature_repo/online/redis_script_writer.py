"""Loading a plain Redis (not a cluster) with one server-side script call per few hundred
entities, instead of two pipelined commands per entity.

The script applies Feast's rule where the data is: for each entity hash it reads the stored event
time of the view (``_ts:view``, a serialized ``google.protobuf.Timestamp``), and sets the row only
when it is newer (a stored time of zero counts as none, as in Feast's store). The hash is written
exactly as Feast's ``RedisOnlineStore`` writes it. redis-py spends ~10 microseconds on each
pipelined command; here the client only packs one command per call.

A cluster cannot run a script over keys of several slots, and the script compares seconds as
Lua numbers, so a Redis Cluster and rows timed before 1970 go through the pipelined writer.
"""

from __future__ import annotations

from itertools import chain

import numpy as np

SCRIPT_ENTITIES = 500
NEWER_ROWS_SCRIPT = """
local function decode(stamp)
  local seconds, nanos, i = 0, 0, 1
  while i <= #stamp do
    local tag = string.byte(stamp, i)
    i = i + 1
    local value, scale, size, byte = 0, 1, 0, 128
    while byte >= 128 do
      byte = string.byte(stamp, i)
      i = i + 1
      size = size + 1
      value = value + (byte % 128) * scale
      scale = scale * 128
    end
    if size >= 10 then value = -1 end
    if tag == 8 then seconds = value elseif tag == 16 then nanos = value end
  end
  return seconds, nanos
end
local ts_field, count, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local at = 4 + count
for k = 1, #KEYS do
  local seconds, nanos = tonumber(ARGV[at]), tonumber(ARGV[at + 1])
  local newer = true
  local stored = redis.call('HGET', KEYS[k], ts_field)
  if stored then
    local s, n = decode(stored)
    if s ~= 0 or n ~= 0 then newer = seconds > s or (seconds == s and nanos > n) end
  end
  if newer then
    local args = {ts_field, ARGV[at + 2]}
    for f = 1, count do
      args[#args + 1] = ARGV[3 + f]
      args[#args + 1] = ARGV[at + 2 + f]
    end
    redis.call('HSET', KEYS[k], unpack(args))
    if ttl > 0 then redis.call('EXPIRE', KEYS[k], ttl) end
  end
  at = at + 3 + count
end
return 0
"""


class ScriptedHashWriter:
    """Writes the rows of one view into their entity hashes through ``NEWER_ROWS_SCRIPT``."""

    def __init__(self, client, ts_field: bytes, key_ttl: int | None) -> None:
        self.script = client.register_script(NEWER_ROWS_SCRIPT)
        self.ts_field = ts_field
        self.key_ttl = key_ttl or 0

    def calls(
        self,
        keys: list[bytes],
        micros: np.ndarray,
        stamps: list[bytes],
        fields: list[bytes],
        columns: list[list[bytes]],
    ) -> list[tuple[list[bytes], list]]:
        """The script calls that give ``keys[i]`` the ``fields`` set to ``columns[*][i]`` and its
        event time (``micros[i]``, serialized ``stamps[i]``) unless its stored time is as new."""
        seconds = (micros // 1_000_000).tolist()
        nanos = (micros % 1_000_000 * 1000).tolist()
        head = [self.ts_field, len(fields), self.key_ttl, *fields]
        calls = []
        for begin in range(0, len(keys), SCRIPT_ENTITIES):
            end = begin + SCRIPT_ENTITIES
            rows = zip(
                seconds[begin:end], nanos[begin:end], stamps[begin:end],
                *(column[begin:end] for column in columns), strict=True,
            )  # fmt: skip
            calls.append((keys[begin:end], head + list(chain.from_iterable(rows))))
        return calls

    def send(self, calls: list[tuple[list[bytes], list]]) -> None:
        for keys, args in calls:
            self.script(keys=keys, args=args)
