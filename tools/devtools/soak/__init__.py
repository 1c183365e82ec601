"""`make soak`: the scoring service on Redis under read and push load for a bounded time, with faults
injected (Redis killed and restarted, a worker killed, a build killed, a batch sent twice), then
checked from the soak's own record of what every client was told (docs/soak.md)."""
