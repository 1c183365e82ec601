"""A bare ASGI app for ``test_closed_loop``: each POST waits ``DELAY_SECONDS`` and answers 200, or
500 when its body asks to fail; ``GET /count`` answers how many POSTs and failures it served."""

from __future__ import annotations

import asyncio
import json

DELAY_SECONDS = 0.02
served = {"posts": 0, "failed": 0}


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    status = 200
    if scope["method"] == "POST":
        await asyncio.sleep(DELAY_SECONDS)
        served["posts"] += 1
        if json.loads(body).get("fail"):
            served["failed"] += 1
            status = 500
        answer = b'{"ok": true}'
    else:
        answer = json.dumps(served).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(answer)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": answer})
