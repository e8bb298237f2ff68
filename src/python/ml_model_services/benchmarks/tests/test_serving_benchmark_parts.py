"""The serving benchmark's parts that decide its numbers: wrk parsing, CPU accounting, goals,
the raw ASGI ceiling app. Not a performance test: nothing here asserts on a timing."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx
import orjson
import pytest

from ml_model_services.benchmarks import raw_asgi_app, serving_goals
from ml_model_services.benchmarks.serving_benchmark import main as benchmark_main
from ml_model_services.benchmarks.wrk_load import (
    Result,
    group_cpu_seconds,
    median_result,
    parse_wrk,
    to_ms,
)

WRK_OUT = """Running 10s test @ http://127.0.0.1:40000/score
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.60ms    1.20ms  30.00ms   90.00%
  Latency Distribution
     50%    5.20ms
     75%    6.00ms
     90%    7.10ms
     99%  812.00us
  30000 requests in 10.00s, 5.00MB read
  Non-2xx or 3xx responses: 7
Requests/sec:   3000.50
Transfer/sec:    512.00KB
"""


def test_wrk_report_is_parsed_with_units_and_cpu_per_request() -> None:
    r = parse_wrk("fraud_api", WRK_OUT, cpu_s=3.0)
    assert (r.requests, r.requests_per_s, r.non_2xx) == (30000, 3000.5, 7)
    assert r.p50_ms == pytest.approx(5.2) and r.p99_ms == pytest.approx(0.812)
    assert r.cpu_us_per_request == pytest.approx(100.0)  # 3 s CPU / 30k requests
    assert [to_ms(v) for v in ("1.5s", "2m", "40us")] == [1500.0, 120000.0, 0.04]


def test_group_cpu_counts_a_child_in_the_process_group() -> None:
    burn = "import time\nt=time.process_time()\nwhile time.process_time()-t<0.3: pass"
    child = subprocess.Popen(
        [sys.executable, "-c", burn + "\ntime.sleep(5)"], start_new_session=True
    )
    try:
        time.sleep(0.05)
        before = group_cpu_seconds(child.pid)
        time.sleep(0.8)
        assert group_cpu_seconds(child.pid) - before >= 0.2
        assert group_cpu_seconds(os.getpgid(0)) >= 0  # our own group is readable too
    finally:
        child.kill()
        child.wait()


def _result(target: str, rps: float, p99: float, cpu: float) -> Result:
    return Result(target, rps, p99 / 2, p99, 0, "", int(rps * 10), cpu)


def _targets(
    api_rps: float, api_cpu: float, api_p99: float, shadow_cost: float = 1.05
) -> dict[str, Result]:
    """``shadow_cost``: the shadow-on API's p99 and CPU as a multiple of shadow off."""
    return {
        "mlflow": _result("mlflow", 100.0, 300.0, 9000.0),
        "bare_fastapi": _result("bare_fastapi", 2000.0, 20.0, 400.0),
        "raw_asgi": _result("raw_asgi", 20000.0, 2.0, 45.0),
        "fraud_api": _result("fraud_api", api_rps, api_p99, api_cpu),
        "fraud_api_single": _result("fraud_api_single", api_rps * 0.7, api_p99, api_cpu * 1.4),
        "fraud_api_shadow": _result(
            "fraud_api_shadow", api_rps / shadow_cost, api_p99 * shadow_cost, api_cpu * shadow_cost
        ),
    }


def test_goals_are_met_only_when_every_limit_holds() -> None:
    good = _targets(api_rps=8000.0, api_cpu=110.0, api_p99=10.0)
    assert all(g.met(good) for g in serving_goals.GOALS)
    # today's API: 15% of the ceiling and ~300 us a request misses both hot-path goals
    slow = _targets(api_rps=3000.0, api_cpu=297.0, api_p99=10.0, shadow_cost=1.2)
    verdicts = {g.name: g.met(slow) for g in serving_goals.GOALS}
    assert verdicts == {
        "fraud_api_share_of_raw_asgi_rps": False,
        "fraud_api_cpu_us": False,
        "fraud_api_vs_mlflow_rps": True,
        "mlflow_vs_fraud_api_cpu": True,
        "mlflow_vs_fraud_api_p99": True,
        "shadow_p99_ratio": False,  # 20% over shadow off
        "shadow_cpu_ratio": False,
    }
    text = serving_goals.render(slow, [slow, good], duration=10)
    assert "MISSED" in text and "(met in 1/2 rounds)" in text and "ceiling" in text


def test_figures_carry_the_issue_names_and_medians() -> None:
    rounds = [_targets(a, 100.0, 10.0) for a in (3000.0, 9000.0, 8000.0)]
    medians = {k: median_result([one[k] for one in rounds]) for k in serving_goals.TARGETS}
    fig = serving_goals.figures(medians, rounds)
    names = (
        "mlflow_rps bare_fastapi_rps raw_asgi_rps fraud_api_rps mlflow_p99_ms "
        "fraud_api_p99_ms mlflow_cpu_us fraud_api_cpu_us raw_asgi_cpu_us"
    ).split()
    assert set(names) <= set(fig)
    assert fig["fraud_api_rps"] == 8000.0  # the median of the rounds, not the best
    share = fig["goals"]["fraud_api_share_of_raw_asgi_rps"]
    assert share["value"] == 0.4 and share["met"] and share["rounds_met"] == 2
    assert len(fig["per_round"]) == 3 and fig["rounds"] == 3


def test_raw_asgi_app_reads_the_body_and_answers_constant_json() -> None:
    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=raw_asgi_app.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return await client.post("/score", content=b'{"user_id": 3}' * 1000)

    response = asyncio.run(post())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert orjson.loads(response.content) == orjson.loads(raw_asgi_app.BODY)


def test_benchmark_refuses_to_run_without_its_pexes(tmp_path, capsys) -> None:
    assert benchmark_main(["--dist", str(tmp_path)]) == 2
    assert "missing" in capsys.readouterr().err
