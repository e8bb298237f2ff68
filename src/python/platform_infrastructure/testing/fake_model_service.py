"""A stand-in model service for deployment tests: the same HTTP contract, stdlib only.

The real services (``ml_model_services``) live in another resolve and take minutes to build;
the Ansible role only needs a PEX that binds a port and answers ``/health/ready`` and
``/metrics``. ``main_never_ready`` is the broken release that a deployment must roll back.
"""

from __future__ import annotations

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from mlops_common.contracts.metrics import HTTP_REQUESTS_TOTAL


def _handler(ready: bool, release: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        requests_served = 0

        def do_GET(self) -> None:
            Handler.requests_served += 1
            if self.path == "/health/ready":
                status = 200 if ready else 503
                self._send(
                    status, "application/json", json.dumps({"ready": ready, "release": release})
                )
            elif self.path == "/health/live":
                self._send(200, "application/json", json.dumps({"live": True}))
            elif self.path == "/metrics":
                body = f'{HTTP_REQUESTS_TOTAL}{{service="{release}"}} {Handler.requests_served}\n'
                self._send(200, "text/plain; version=0.0.4", body)
            else:
                self._send(404, "application/json", json.dumps({"detail": "not found"}))

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve(ready: bool) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    release = os.environ.get("MLOPS_SERVICE_NAME", "fake") + ("" if ready else "-never-ready")
    server = ThreadingHTTPServer((args.host, args.port), _handler(ready, release))
    print(f"fake model service {release} on {args.host}:{args.port}", flush=True)
    server.serve_forever()


def main() -> None:
    serve(ready=True)


def main_never_ready() -> None:
    serve(ready=False)


if __name__ == "__main__":
    main()
