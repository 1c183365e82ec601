"""Running the emulator in the foreground, as `sagemaker-emulator` does."""

from __future__ import annotations

import os
import signal
import threading

from sagemaker_emulator.faults import Faults
from sagemaker_emulator.server import Emulator, serve


def run_emulator(
    port: int,
    s3_endpoint: str | None,
    region: str,
    expired_access_keys: list[str],
    latency_ms: float,
    creating_describes: int,
    flush_seconds: float,
) -> None:
    """Serve until SIGINT or SIGTERM; the first line printed gives the URL (with the port chosen)."""
    faults = Faults(
        latency_ms=latency_ms,
        creating_describes=creating_describes,
        expired_access_keys=frozenset(expired_access_keys),
    )
    emulator = Emulator.create(
        s3_endpoint or os.environ.get("AWS_ENDPOINT_URL_S3"), region, faults, flush_seconds
    )
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    server = serve(emulator, port)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    print(f"SageMaker Feature Store emulator listening on {url}", flush=True)
    print(
        f"  export AWS_ENDPOINT_URL_SAGEMAKER={url} AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME={url}",
        flush=True,
    )
    print(f"  offline store: {emulator.offline.s3_endpoint or 'default S3 endpoint'}", flush=True)
    stop.wait()
    server.shutdown()
    emulator.offline.close()
