"""Unit tests of the status and logs filters (plugins/filter/status.py)."""

from __future__ import annotations

import json

from ansible_collections.dockyard.django.plugins.filter.status import (
    human_duration,
    last_deploys,
    log_lines,
    status_report,
    status_table,
    upstream_of,
)

APP = {"name": "demo", "port": 8001}


def container(service: str, slot: str | None = None, running: bool = True, **more: object) -> dict:
    return {"service": service, "slot": slot, "name": f"demo-{slot or ''}-{service}", "tag": "r2", "running": running,
            "state": "running" if running else "exited", "health": "healthy" if running else None,
            "digest": "sha256:0123456789abcdef", "uptime": 3700 if running else None,
            "limits": {"memory": 536870912, "cpus": 1.5}, **more}


def audit(run: str, to: str, result: str = "ok", time: str = "2026-11-30T10:00:00Z") -> str:
    return json.dumps({"time": time, "run_id": run, "operator": "alice@laptop", "mode": "deploy", "from": "r1",
                       "to": to, "result": result, "duration": 30.5})


HOSTS = [
    {"host": "web1", "roles": ["web"], "release": {"current": "r2", "previous": "r1"}, "slots": {"active": "b"},
     "containers": [container("web", "a", running=False), container("web", "b")],
     "audit": [audit("run1", "r1", time="2026-11-29T10:00:00Z"), audit("run2", "r2")]},
    {"host": "worker1", "roles": ["worker", "beat"], "release": {"current": "r2", "previous": "r1"},
     "containers": [container("worker"), container("beat")], "audit": [audit("run2", "r2", "failed"), "not json"]},
]


def test_the_report_marks_the_active_slot_and_merges_the_audit_logs() -> None:
    report = status_report(HOSTS, APP, None, 5, upstreams={"web1": "# managed\nserver 10.0.0.1:8002 max_fails=1;\n"})
    web1 = report["hosts"][0]
    assert [c["active"] for c in web1["containers"]] == [False, True]
    assert web1["front"] == {"address": "10.0.0.1", "port": 8002, "slot": "b", "down": False}
    assert report["beats_running"] == 1 and report["lock"] is None
    assert [(d["run_id"], d["result"], d["hosts"]) for d in report["deploys"]] == [
        ("run2", "failed", ["web1", "worker1"]), ("run1", "ok", ["web1"])]
    assert web1["missing"] == [] and web1["unplaced"] == []


def test_the_report_names_what_is_missing_and_what_was_left_behind() -> None:
    hosts = [{"host": "web2", "roles": ["web", "beat"], "release": {}, "slots": {"active": "a"},
              "containers": [container("web", "a"), container("worker")], "audit": []}]
    report = status_report(hosts, APP)
    assert report["hosts"][0]["missing"] == ["beat"] and report["hosts"][0]["unplaced"] == ["worker"]
    assert report["hosts"][0]["front"] is None
    text = status_table(report)
    assert "NOT RUNNING" in text and "running here, placed elsewhere" in text and "not routed" in text


def test_the_table_shows_every_container_the_lock_and_the_deploys() -> None:
    lock = {"holder": "bob@ci", "run_id": "run3", "since": "2026-11-30T11:00:00Z", "progress": {"phase": "switch web1"}}
    text = status_table(dict(status_report(HOSTS, APP, lock, upstreams={"web1": "server 10.0.0.1:8002 down;"}),
                             unreachable=["web9"]))
    lines = text.splitlines()
    assert lines[0] == "demo: LOCKED by bob@ci (run run3) since 2026-11-30T11:00:00Z, phase switch web1"
    header = lines[1].split()
    assert header[:4] == ["HOST", "TAG", "REVERT", "SERVICE"]
    web_b = next(line for line in lines if " b* " in line)
    assert "running (healthy)" in web_b and "0123456789ab" in web_b and "1h01m" in web_b and "512m/1.5cpu" in web_b
    assert "slot b (:8002) DOWN" in text and "UNREACHABLE (not read): web9" in text
    assert "beat: 1 running" in text
    deploys = text.split("Last deploys (audit log):\n")[1].splitlines()
    assert deploys[0].split()[:3] == ["TIME", "OPERATOR", "MODE"]
    assert "failed" in deploys[1] and deploys[1].endswith("web1,worker1") and " ok " in deploys[2]


def test_small_formats() -> None:
    assert [human_duration(s) for s in (None, 42, 307, 7380, 273600)] == ["-", "42s", "5m07s", "2h03m", "3d04h"]
    assert upstream_of(None, 8001) is None and upstream_of("server 10.0.0.1:8001;", 8001)["slot"] == "a"
    assert last_deploys({}, 5) == []


def test_log_lines_are_merged_in_time_order_and_prefixed_with_their_host() -> None:
    found = log_lines([
        {"host": "web1", "service": "web",
         "output": "2026-11-30T10:00:02.000000001Z GET /\n2026-11-30T10:00:04.5Z GET /b"},
        {"host": "worker1", "service": "worker", "output": "2026-11-30T10:00:03.1Z task ok\nno time here"},
    ])
    assert found == ["worker1 worker | no time here", "web1 web | 2026-11-30T10:00:02Z GET /",
                     "worker1 worker | 2026-11-30T10:00:03Z task ok", "web1 web | 2026-11-30T10:00:04Z GET /b"]
    assert log_lines([{"host": "h", "service": "s", "output": "a\nb\nc"}], 2) == ["h s | b", "h s | c"]


def test_log_lines_skip_the_blank_line_between_stdout_and_stderr() -> None:
    found = log_lines([{"host": "worker1", "service": "beat", "output": "\n2026-11-30T10:00:03.1Z tick\n  \n"}])
    assert found == ["worker1 beat | 2026-11-30T10:00:03Z tick"]
