"""Unit tests of the bench's figures: parsing what trials recorded, and what is computed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import report

TIMELINE = {
    "tasks": [
        {"host": "localhost", "where": "lb1", "play": "Deploy | pre-flight", "task": "Take the lock",
         "action": "dockyard.django.deploy_lock", "start": 100.0, "end": 101.0, "status": "ok"},
        {"host": "web1", "where": "web1", "play": "Deploy | pull", "task": "Pull", "action": "dockyard.django.image",
         "start": 101.0, "end": 104.0, "status": "changed"},
        {"host": "web2", "where": "web2", "play": "Deploy | pull", "task": "Pull", "action": "dockyard.django.image",
         "start": 101.5, "end": 105.0, "status": "changed"},
        {"host": "web1", "where": "web1", "play": "Deploy | manage", "task": "Skip",
         "action": "ansible.builtin.debug", "start": 105.0, "end": 105.1, "status": "skipped"},
        {"host": "web1", "where": "web1", "play": "Deploy | switch", "task": "Stage",
         "action": "dockyard.django.web_slot", "start": 106.0, "end": 108.0, "status": "changed"},
        {"host": "web1", "where": "lb1", "play": "Deploy | switch", "task": "Upstream",
         "action": "ansible.builtin.template", "start": 108.0, "end": 109.0, "status": "changed"},
    ]
}


def test_timeline_steps_name_phases_and_docker_work() -> None:
    steps = report.steps_from_timeline(TIMELINE)
    assert [(s.host, s.phase, s.docker) for s in steps] == [
        ("lb1", "pre-flight", False), ("web1", "pull", True), ("web2", "pull", True),
        ("web1", "switch", True), ("lb1", "switch", False)]


def test_baseline_log_steps() -> None:
    text = "web1\tpull\t10.0\t12.5\t0\nweb1\trecord\t12.5\t12.6\t0\nweb1\tcompress\t13\t14\t0\n\n"
    steps = report.steps_from_baseline_log(text)
    assert [(s.phase, s.docker) for s in steps] == [("pull", True), ("record", False), ("manage", True)]
    assert steps[0].end - steps[0].start == 2.5


@pytest.mark.parametrize(("intervals", "seconds"), [
    ([], 0.0),
    ([(0, 1), (2, 3)], 2.0),
    ([(0, 2), (1, 3), (5, 6)], 4.0),
    ([(1, 5), (2, 3)], 4.0),
])
def test_union_counts_overlaps_once(intervals: list[tuple[float, float]], seconds: float) -> None:
    assert report.union_seconds(intervals) == seconds


def trial(tool: str = "dockyard", action: str = "deploy", wall: float = 10.0, hosts: int = 2) -> report.Trial:
    return report.Trial(
        tool=tool, action=action, web_hosts=hosts, app="bench2", started=100.0, ended=100.0 + wall, rc=0,
        steps=report.steps_from_timeline(TIMELINE),
        requests=[report.Request(at=100.0 + i / 10, seconds=0.01 * (i + 1), ok=i != 3) for i in range(20)],
        pages=[report.PageView(at=100.0 + i, ok=i not in (2, 5), release="r1" if i < 5 else "r2") for i in range(8)])


def test_figures_of_a_trial() -> None:
    figures = report.figures(trial())
    # Docker ran from 101 to 105 (pulls) and 106 to 108 (stage): 6 of the 10 seconds.
    assert figures["docker_s"] == 6.0 and figures["overhead_s"] == 4.0
    assert figures["phases_s"] == {"pre-flight": 1.0, "pull": 4.0, "switch": 3.0}
    assert figures["requests"]["sent"] == 20 and figures["requests"]["failed"] == 1
    assert figures["requests"]["p50_ms"] == pytest.approx(105.0)
    assert figures["pages"] == {"views": 8, "broken": 2, "releases": ["r1", "r2"]}


def test_ratios_table_and_plot(tmp_path: Path) -> None:
    records = [report.trial_record(trial("dockyard", "deploy", 20.0)),
               report.trial_record(trial("dockyard", "no-op", 2.0)),
               report.trial_record(trial("dockyard", "rollback", 5.0)),
               report.trial_record(trial("baseline", "deploy", 10.0))]
    ratios = report.ratios(records)["2"]
    assert ratios == {"deploy_vs_baseline": 2.0, "deploy_vs_baseline_steady": 2.0, "overhead_of_wall": 0.7,
                      "rollback_of_deploy": 0.25, "noop_of_deploy": 0.1}
    rows = {row["target"]: row for row in report.targets(records, site_noop_s=41.0)}
    assert rows["overhead / wall, 2 web host(s)"] == {"target": "overhead / wall, 2 web host(s)", "value": 0.7,
                                                      "limit": 0.3, "met": False}
    assert rows["no-op / deploy, 2 web host(s)"]["met"] is True
    assert rows["deploy 4 web hosts / 1 web host"]["met"] is None
    assert rows["site.yml with nothing to change, s"]["met"] is False
    assert "| rollback / deploy, 2 web host(s) | 0.25 | 0.5 | yes |" in report.targets_markdown(list(rows.values()))
    table = report.markdown(records)
    assert "| 2 | dockyard | 20.0 | 20.0 | 2.0 | 5.0 | 14.0 | 1/20 | 1/20 | 2/8 | 2/8 |" in table
    assert "| 2 | baseline | 10.0 | 10.0 | - | - |" in table
    assert records[0]["steps"][0]["start"] == 0.0 and records[0]["requests_timeline"][0] == [0.0, 0.01, True]
    png = tmp_path / "timeline.png"
    report.plot(records, 2, str(png))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
