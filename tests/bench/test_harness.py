"""The benchmark harness measures what it claims: the reference answers like nekoapi, wrk output parses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bench import docsection, reference, report, wrk
from bench.results import Results
from bench.ws_scenarios import RssPoint, WsResult
from nekoapi.config import Config

from ..support.client import ApiClient
from ..support.factory import ADMIN_PASSWORD, USER_PASSWORD, make_config

TOKEN = "api-token-for-the-harness-test-0123456789"


@pytest.fixture
def config() -> Config:
    return make_config(NEKO_SESSION_API_TOKEN=TOKEN)


@pytest.fixture
async def ref() -> AsyncIterator[httpx.AsyncClient]:
    app = reference.create_app(TOKEN)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ref") as client:
        yield client


async def _login(client: httpx.AsyncClient, password: str) -> dict:
    response = await client.post("/api/login", json={"username": "someone", "password": password})
    assert response.status_code == 200, response.text
    return response.json()


async def test_reference_login_and_list_have_nekoapi_shapes(client: ApiClient, ref: httpx.AsyncClient) -> None:
    ours = await _login(client, USER_PASSWORD)
    theirs = await _login(ref, reference.USER_PASSWORD)
    assert theirs.keys() == ours.keys()
    assert theirs["profile"] == ours["profile"]
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    listed_ours = (await client.get("/api/sessions", headers=bearer)).json()
    listed_theirs = (await ref.get("/api/sessions", headers=bearer)).json()
    assert [s.keys() for s in listed_theirs] == [s.keys() for s in listed_ours]
    assert [s["id"] for s in listed_theirs] == [theirs["id"]]


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/sessions/{id}/disconnect", True, 204),
        ("/api/sessions/nobody-00000/disconnect", True, 404),
        ("/api/sessions/{id}/disconnect", False, 401),
    ],
)
async def test_reference_disconnect_statuses_match_nekoapi(
    client: ApiClient, ref: httpx.AsyncClient, path: str, headers: bool, status: int
) -> None:
    for c, password in ((client, ADMIN_PASSWORD), (ref, reference.ADMIN_PASSWORD)):
        session = await _login(c, password)
        response = await c.post(
            path.format(id=session["id"]), headers={"Authorization": f"Bearer {TOKEN}"} if headers else {}
        )
        assert response.status_code == status
        if status != 204:
            assert response.json()["code"] == status


async def test_reference_seeds_sessions_at_start_up() -> None:
    app = reference.create_app(TOKEN, sessions=3)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ref") as client:
        listed = (await client.get("/api/sessions", headers={"Authorization": f"Bearer {TOKEN}"})).json()
    assert len(listed) == 3


WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:9000/api/sessions/x/disconnect
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.05ms  512.00us  12.00ms   90.00%
    Req/Sec    15.6k     1.1k   17.0k    80.00%
  Latency Distribution
     50%    1.95ms
     75%    2.10ms
     90%  750.00us
     99%    1.20s
  77999 requests in 5.00s, 9.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 77999
Requests/sec:  15599.80
Transfer/sec:      1.80MB
"""


def test_wrk_summary_is_parsed_with_units() -> None:
    result = wrk.parse(WRK_OUTPUT)
    assert result.requests_per_second == pytest.approx(15599.80)
    assert result.p50_ms == pytest.approx(1.95)
    assert result.p99_ms == pytest.approx(1200.0)
    assert (result.requests, result.non_2xx, result.socket_errors) == (77999, 77999, 3)


def test_report_shows_ratios_and_keeps_hand_written_text(tmp_path: Path) -> None:
    results = Results(settings={"seconds": 5, "rounds": 2, "file_limit": 1024})
    results.titles["204@10"] = "POST disconnect -> 204 (10 sessions)"
    results.http["204@10"] = {
        "ours": [wrk.WrkResult(8000, 2.0, 6.0, 40000, 0, 0)],
        "reference": [wrk.WrkResult(16000, 1.0, 3.0, 80000, 0, 0)],
    }
    results.startup = {"ours": [0.6], "reference": [0.2]}
    ws = WsResult("ours", rss_fresh_kib=50_000, sessions=1001, rss_sessions_kib=51_000)
    ws.rss_points.append(RssPoint(1000, 1001, 71_000, 10.0, 5.0, 4.0, 0))
    ws.fanout.append((1000, 1, [40.0, 20.0], 0))
    results.ws["ours"] = ws
    text = report.render(results)
    assert "| 0.50 (0.50) | >= 0.5 (met) |" in text
    assert "ratio ours/reference of the medians: 3.00" in text
    assert "| ours | 50,000 | 1,001 | 51,000 | 1,000 | 71,000 | 1.0 | 20.0 |" in text
    assert "## Two workers vs one (scenario 9)\n\nnot measured in this run." in text
    page = tmp_path / "benchmarks.md"
    page.write_text(f"# Benchmarks\n\nhand-written\n\n{report.BEGIN}\nold\n{report.END}\n\nprofile notes\n")
    docsection.replace_section(page, report.BEGIN, report.END, text)
    written = page.read_text()
    assert "hand-written" in written and "profile notes" in written and "old" not in written
    assert "| 0.50 (0.50) |" in written


def test_the_workers_section_reports_the_two_to_one_ratio() -> None:
    from bench import report, servers
    from bench.results import Results
    from bench.wrk import WrkResult

    one, two = servers.WORKER_KINDS
    results = Results()
    results.workers["list100"] = {
        one: [WrkResult(1000.0, 5.0, 9.0, 5000, 0, 0), WrkResult(1200.0, 5.0, 9.0, 6000, 0, 0)],
        two: [WrkResult(2000.0, 4.0, 8.0, 10000, 0, 0), WrkResult(2200.0, 4.0, 8.0, 11000, 0, 0)],
    }
    text = "\n".join(report.workers_section(results))
    assert "| GET /api/sessions (100 sessions) |" in text
    assert text.rstrip().endswith("| 1.91 |")  # median 2,100 over median 1,100


def test_without_redis_the_workers_section_says_why() -> None:
    from bench import report
    from bench.results import Results

    results = Results(workers_note="Redis is not reachable on 127.0.0.1:6379, so this scenario did not run.")
    assert "Redis is not reachable" in "\n".join(report.workers_section(results))


def test_ramp_rows_compare_at_the_largest_count_both_reached() -> None:
    results = Results()
    ours = WsResult("ours", rss_fresh_kib=50_000, sessions=1001, rss_sessions_kib=51_000)
    ours.rss_points += [
        RssPoint(1000, 1001, 71_000, 10.0, 5.0, 4.0, 0),
        # 500 more sessions at 1 KiB each plus 500 sockets at 20 KiB each
        RssPoint(1500, 1501, 81_500, 20.0, 9.0, 5.0, 0),
    ]
    ours.fanout += [(1000, 1, [40.0, 20.0], 0), (1500, 0, [60.0, 40.0], 0), (2000, 0, [90.0, 70.0], 0)]
    ref = WsResult("reference", rss_fresh_kib=30_000, sessions=1001, rss_sessions_kib=31_000)
    ref.fanout += [(1000, 1, [40.0, 40.0], 0), (1500, 0, [100.0, 100.0], 0)]
    ref.notes.append("stopped at 1,500 of 10,000: the next batch would overrun 60 s")
    results.ws = {"ours": ours, "reference": ref}
    text = "\n".join(report.ws_section(results))
    assert "| ours | 50,000 | 1,501 | 51,000 | 1,500 | 81,500 | 1.0 | 20.0 |" in text
    assert "Largest count both reached after the ramp: 1,500 sockets; ours 50.00 ms, reference 100.00 ms" in text
    assert "ratio ours/reference 0.50" in text
    assert "10,000 sockets not reached (largest: 2,000), not measured" in text
    assert "- reference: stopped at 1,500 of 10,000" in text


def test_a_missing_figure_is_not_measured_rather_than_missed() -> None:
    text = report.render(Results(settings={"seconds": 3, "rounds": 2, "file_limit": 1024}))
    assert "target <= 1.5 s (ours): not measured." in text
    assert ": missed" not in text and "(missed)" not in text


async def test_the_in_process_measure_checks_each_answer_and_reports_cpu_per_request(capsys) -> None:
    from bench import inprocess

    await inprocess.measure(["disconnect", "401", "404"], calls=3, profile=None)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["disconnect", "401", "404", "access log"]
    assert all(float(line.split()[1]) > 0 for line in lines[:3])
    assert "us at info (default)" in lines[3] and "us per line" in lines[3]
