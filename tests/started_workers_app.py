"""A bare ASGI app for ``test_local_servers``: the first worker to start is ready at once, every
other one only after ``SLOW_START_SECONDS``; each writes its pid to ``$STARTED_DIR`` once started."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

SLOW_START_SECONDS = 2.0


async def app(scope, receive, send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                started = Path(os.environ["STARTED_DIR"])
                if not _first_to_start(started):
                    await asyncio.sleep(SLOW_START_SECONDS)
                (started / str(os.getpid())).write_text("started")
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": str(os.getpid()).encode()})


def _first_to_start(started: Path) -> bool:
    try:
        os.close(os.open(started / "first", os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return False
    return True
