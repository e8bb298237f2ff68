"""One ``wrk`` run against one server, and the server's own CPU time per request.

Apart from the benchmark's orchestration so the parsing of wrk's report and the CPU
accounting can be tested on their own. CPU is read from ``/proc/<pid>/stat`` (user + system
ticks) for every process of the server's process group — the server and any workers it
forks (``mlflow models serve`` runs uvicorn under a parent) — before and after the measured
run; divided by the requests wrk completed, it is the server's CPU cost per request,
independent of how busy the rest of the machine is.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Result:
    target: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    errors: str
    requests: int = 0
    cpu_us_per_request: float = 0.0  # server process group, user+system


def group_cpu_seconds(pgid: int) -> float:
    """CPU time (user+system) of every process in a process group (server + its workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 (pgrp), after pid and (comm)
            total += int(fields[11]) + int(fields[12])
    return total / tick


def to_ms(value: str) -> float:
    """wrk's latency cell (``812.00us``, ``3.10ms``, ``1.20s``, ``1.00m``) in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


def parse_wrk(target: str, out: str, cpu_s: float) -> Result:
    """A :class:`Result` from wrk's ``--latency`` report and the server's CPU seconds."""
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return Result(
        target,
        rps,
        p50,
        p99,
        int(non2xx.group(1)) if non2xx else 0,
        errors.group(0) if errors else "",
        requests,
        cpu_s / max(requests, 1) * 1e6,
    )


def run_wrk(
    target: str,
    url: str,
    body: dict,
    headers: dict[str, str],
    work: Path,
    duration: int,
    connections: int,
    pgid: int,
    warmup_s: int = 3,
) -> Result:
    """``wrk -t1 -c<connections>`` POSTing ``body``: a warm-up, then the measured run."""
    script = work / f"{target}.lua"
    lines = ['wrk.method = "POST"', 'wrk.headers["content-type"] = "application/json"']
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    lines.append(f"wrk.body = {json.dumps(json.dumps(body))}")
    script.write_text("\n".join(lines) + "\n")
    base = ["wrk", "-t1", f"-c{connections}", "--latency", "-s", str(script), url]
    subprocess.run([*base[:3], f"-d{warmup_s}s", *base[3:]], capture_output=True, check=True)
    cpu_before = group_cpu_seconds(pgid)
    out = subprocess.run(
        [*base[:3], f"-d{duration}s", *base[3:]], capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(target, out, group_cpu_seconds(pgid) - cpu_before)


def median_result(runs: list[Result]) -> Result:
    """Per-metric median over the rounds of one target (requests and errors are summed)."""
    mid = statistics.median
    return Result(
        runs[0].target,
        mid([r.requests_per_s for r in runs]),
        mid([r.p50_ms for r in runs]),
        mid([r.p99_ms for r in runs]),
        sum(r.non_2xx for r in runs),
        "; ".join(r.errors for r in runs if r.errors),
        sum(r.requests for r in runs),
        mid([r.cpu_us_per_request for r in runs]),
    )
