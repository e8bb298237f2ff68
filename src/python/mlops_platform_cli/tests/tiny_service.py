"""A stdlib HTTP service used to test process management: ready after READY_AFTER_S seconds."""

import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

STARTED = time.monotonic()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # - http.server naming
        ready = time.monotonic() - STARTED >= float(os.environ.get("READY_AFTER_S", "0"))
        self.send_response(200 if ready and self.path == "/health/ready" else 503)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


if __name__ == "__main__":
    if os.environ.get("CRASH"):
        print("config error: model file missing", flush=True)
        sys.exit(2)
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
