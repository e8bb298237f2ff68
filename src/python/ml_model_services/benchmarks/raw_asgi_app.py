"""The serving benchmark's ceiling (``raw_asgi``): the server stack alone, no application work.

A bare ASGI callable that reads the request body and answers a constant JSON document, run by
uvicorn with uvloop and httptools and the same ``uvicorn.run`` options as the model APIs
(:mod:`ml_model_services.common_service_libs.runner`: no uvicorn access log, no log config,
no ``server`` header, one process). Whatever a model API costs above this app per request is
the application's own cost; nothing written in Python on this stack can be faster.

    python -m ml_model_services.benchmarks.raw_asgi_app --port P
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

Message = MutableMapping[str, Any]

BODY = b'{"probability":0.5,"label":"approve"}'
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(
    scope: Message,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Consume the request body (as an API must), then send the constant response."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="raw-asgi-app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
