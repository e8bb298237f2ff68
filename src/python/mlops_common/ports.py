"""A free TCP port on the loopback for a process we are about to start.

Standard library only, so every resolve can use it. Tests run in parallel and each starts its
own services (APIs, MLflow, Prometheus, exporters): asking the kernel for an unused port keeps
them from colliding. The port is released before the caller binds it, so another process could
take it in between; in practice the kernel does not hand the same ephemeral port out again
that quickly, and a collision shows as a bind error, never as a wrong answer.
"""

from __future__ import annotations

import socket


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
