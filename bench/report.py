"""Figures of `make bench`: from what each trial recorded to the JSON, the table and the plot.

A trial is one measured run of one tool (dockyard or the baseline) doing one action
(deploy, no-op, rollback) for an app with N web hosts. It recorded its steps (which host,
which phase, when, whether Docker did the work) and the outcome of every request the load
generator sent meanwhile. Everything here is pure computation except `plot`.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

# The deploy playbook's plays are named "Deploy | <phase>"; the report counts as the finish.
PLAY_PHASES = {"report": "finish"}
# The baseline's steps, as the same phases.
BASELINE_PHASES = {"pull": "pull", "record": "record", "migrate": "manage", "compress": "manage",
                   "restart web": "switch", "workers": "workers"}
TABLE_PHASES = ["pre-flight", "pull", "static", "record", "backup", "manage", "workers start", "switch", "workers",
                "finish"]
# Modules whose time is Docker's: pulls, throwaway containers, compose up/stop, inspections, and
# the wait for the workers' start that runs in the background (async_status: only while the run
# waits for it, not while it runs beside the switch, so Docker's time is never overstated).
DOCKER_ACTIONS = ("dockyard.django.image", "dockyard.django.manage", "dockyard.django.web_slot",
                  "dockyard.django.static_bundle", "community.docker.", "ansible.builtin.async_status")


@dataclass
class Step:
    host: str
    phase: str
    start: float
    end: float
    docker: bool
    task: str = ""


@dataclass
class Request:
    at: float
    seconds: float
    ok: bool
    retried: bool = False


@dataclass
class PageView:
    """A browser's first visit during a trial: the page and every static file it links."""

    at: float
    ok: bool  # the page and each of its files answered 200
    release: str | None = None


@dataclass
class Trial:
    tool: str
    action: str
    web_hosts: int
    app: str
    started: float
    ended: float
    rc: int
    # When the front answered steadily again after the run (a run may end before its hosts serve).
    settled: float | None = None
    steps: list[Step] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    # Page views of browser-like clients beside the requests (tests/loadgen.py PageViewGenerator).
    pages: list[PageView] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return self.ended - self.started


def steps_from_timeline(timeline: dict[str, Any]) -> list[Step]:
    """The deploy's steps from the dockyard.django.timeline callback's document."""
    steps = []
    for task in timeline.get("tasks", []):
        if task["status"] == "skipped":
            continue
        play = task["play"].split("|", 1)[-1].strip()
        phase = PLAY_PHASES.get(play, play)
        docker = task["action"].startswith(DOCKER_ACTIONS)
        steps.append(Step(host=task["where"], phase=phase, start=task["start"], end=task["end"],
                          docker=docker, task=task["task"]))
    return steps


def steps_from_baseline_log(text: str) -> list[Step]:
    """The baseline's steps from its TIMING_LOG lines: host, phase, start, end, rc (tabs)."""
    steps = []
    for line in text.splitlines():
        if not line.strip():
            continue
        host, phase, start, end, _rc = line.split("\t")
        steps.append(Step(host=host, phase=BASELINE_PHASES.get(phase, phase), start=float(start),
                          end=float(end), docker=phase != "record", task=phase))
    return steps


def union_seconds(intervals: list[tuple[float, float]]) -> float:
    """Length of the union of intervals: time during which at least one of them ran."""
    total, current_start, current_end = 0.0, None, None
    for start, end in sorted(intervals):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def phase_seconds(steps: list[Step]) -> dict[str, float]:
    """Wall time of each phase: from its first step's start to its last step's end."""
    spans: dict[str, tuple[float, float]] = {}
    for step in steps:
        first, last = spans.get(step.phase, (step.start, step.end))
        spans[step.phase] = (min(first, step.start), max(last, step.end))
    return {phase: round(end - start, 2) for phase, (start, end) in spans.items()}


def quantile_ms(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return round(values[0] * 1000, 1)
    return round(statistics.quantiles(sorted(values), n=100)[q - 1] * 1000, 1)


def figures(trial: Trial) -> dict[str, Any]:
    """Every figure of one trial."""
    docker = union_seconds([(s.start, s.end) for s in trial.steps if s.docker])
    latencies = [r.seconds for r in trial.requests]
    return {
        "tool": trial.tool,
        "action": trial.action,
        "web_hosts": trial.web_hosts,
        "app": trial.app,
        "rc": trial.rc,
        "wall_s": round(trial.wall, 2),
        "steady_s": round((trial.settled or trial.ended) - trial.started, 2),
        "docker_s": round(docker, 2),
        "overhead_s": round(trial.wall - docker, 2),
        "phases_s": phase_seconds(trial.steps),
        "requests": {
            "sent": len(trial.requests),
            "failed": sum(1 for r in trial.requests if not r.ok),
            # Sent again once after a keep-alive close, as real clients do (tests/loadgen.py).
            "retried": sum(1 for r in trial.requests if r.retried),
            "p50_ms": quantile_ms(latencies, 50),
            "p99_ms": quantile_ms(latencies, 99),
        },
        "pages": {
            "views": len(trial.pages),
            # Broken: the page or one of the static files it links did not answer 200.
            "broken": sum(1 for p in trial.pages if not p.ok),
            "releases": sorted({p.release for p in trial.pages if p.release}),
        },
    }


def trial_record(trial: Trial) -> dict[str, Any]:
    """Figures plus the raw steps and requests (times relative to the trial's start)."""
    record = figures(trial)
    record["started"] = round(trial.started, 3)
    record["steps"] = [dict(asdict(s), start=round(s.start - trial.started, 3), end=round(s.end - trial.started, 3))
                       for s in trial.steps]
    record["requests_timeline"] = [[round(r.at - trial.started, 3), round(r.seconds, 4), r.ok] for r in trial.requests]
    return record


def find(records: list[dict[str, Any]], tool: str, action: str, hosts: int) -> dict[str, Any] | None:
    return next((r for r in records if (r["tool"], r["action"], r["web_hosts"]) == (tool, action, hosts)), None)


def ratios(records: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per host count: dockyard deploy / baseline deploy, dockyard deploy / the baseline's
    "serving steadily" time, overhead / wall, rollback / deploy, no-op / deploy."""
    out: dict[str, dict[str, float | None]] = {}
    for hosts in sorted({r["web_hosts"] for r in records}):
        deploy = find(records, "dockyard", "deploy", hosts)
        base = find(records, "baseline", "deploy", hosts)
        back = find(records, "dockyard", "rollback", hosts)
        noop = find(records, "dockyard", "no-op", hosts)
        out[str(hosts)] = {
            "deploy_vs_baseline": _ratio(deploy and deploy["wall_s"], base and base["wall_s"]),
            "deploy_vs_baseline_steady": _ratio(deploy and deploy["wall_s"], base and base["steady_s"]),
            "overhead_of_wall": _ratio(deploy and deploy["overhead_s"], deploy and deploy["wall_s"]),
            "rollback_of_deploy": _ratio(back and back["wall_s"], deploy and deploy["wall_s"]),
            "noop_of_deploy": _ratio(noop and noop["wall_s"], deploy and deploy["wall_s"]),
        }
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


# Issue 17's targets: (what, the figure's key, its limit). Ratios per host count unless noted.
TARGETS = [
    ("overhead / wall", "overhead_of_wall", 0.30),
    ("rollback / deploy", "rollback_of_deploy", 0.5),
    ("no-op / deploy", "noop_of_deploy", 0.25),
    ("deploy / pipeline serving steadily", "deploy_vs_baseline_steady", 2.0),
]
SCALING_TARGET = 1.5  # dockyard deploy with 4 web hosts / with 1 (serial=50%)
SITE_NOOP_TARGET_S = 30.0  # site.yml with nothing to change


def targets(records: list[dict[str, Any]], site_noop_s: float | None = None) -> list[dict[str, Any]]:
    """Every target of issue 17 with the figure measured for it and whether it is met
    (None: not measured in this run)."""
    rows: list[dict[str, Any]] = []
    for hosts, figures_of in ratios(records).items():
        for what, key, limit in TARGETS:
            rows.append({"target": f"{what}, {hosts} web host(s)", "value": figures_of[key], "limit": limit})
    one, four = find(records, "dockyard", "deploy", 1), find(records, "dockyard", "deploy", 4)
    rows.append({"target": "deploy 4 web hosts / 1 web host", "limit": SCALING_TARGET,
                 "value": _ratio(four and four["wall_s"], one and one["wall_s"])})
    rows.append({"target": "site.yml with nothing to change, s", "limit": SITE_NOOP_TARGET_S,
                 "value": round(site_noop_s, 1) if site_noop_s is not None else None})
    failed = sum(r["requests"]["failed"] for r in records if r["tool"] == "dockyard")
    broken = sum(r["pages"]["broken"] for r in records if r["tool"] == "dockyard")
    rows.append({"target": "failed requests + broken page views (dockyard)", "limit": 0, "value": failed + broken})
    for row in rows:
        row["met"] = None if row["value"] is None else row["value"] <= row["limit"]
    return rows


def targets_markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | limit | met |", "|---|---:|---:|---|"]
    for row in rows:
        met = "-" if row["met"] is None else ("yes" if row["met"] else "no")
        value = "-" if row["value"] is None else row["value"]
        lines.append(f"| {row['target']} | {value} | {row['limit']} | {met} |")
    return "\n".join(lines) + "\n"


def _cell(record: dict[str, Any] | None, key: str) -> str:
    if record is None:
        return "-"
    if key == "requests":
        req = record["requests"]
        return f"{req['failed']}/{req['sent']}" if req["sent"] else "-"
    if key == "pages":
        pages = record.get("pages") or {}
        return f"{pages['broken']}/{pages['views']}" if pages.get("views") else "-"
    if key == "latency":
        req = record["requests"]
        return f"{req['p50_ms']:.0f}/{req['p99_ms']:.0f}" if req["sent"] else "-"
    value = f"{record[key]:.1f}"
    return value if record["rc"] == 0 else f"{value} (rc={record['rc']})"


def markdown(records: list[dict[str, Any]]) -> str:
    """The comparison table, then the phases of every deploy."""
    lines = [
        "| web hosts | tool | deploy s | serving steadily after s | no-op s | rollback s | deploy overhead s "
        "| failed/sent deploy | failed/sent rollback | broken/page views deploy | broken/page views rollback "
        "| p50/p99 ms deploy |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for hosts in sorted({r["web_hosts"] for r in records}):
        for tool in ("dockyard", "baseline"):
            deploy = find(records, tool, "deploy", hosts)
            if deploy is None:
                continue
            noop, back = find(records, tool, "no-op", hosts), find(records, tool, "rollback", hosts)
            lines.append(f"| {hosts} | {tool} | {_cell(deploy, 'wall_s')} | {_cell(deploy, 'steady_s')} "
                         f"| {_cell(noop, 'wall_s')} "
                         f"| {_cell(back, 'wall_s')} | {_cell(deploy, 'overhead_s')} | {_cell(deploy, 'requests')} "
                         f"| {_cell(back, 'requests')} | {_cell(deploy, 'pages')} | {_cell(back, 'pages')} "
                         f"| {_cell(deploy, 'latency')} |")
    lines += ["", "Deploy phases, seconds (wall time of each phase):", "",
              "| web hosts | tool | " + " | ".join(TABLE_PHASES) + " |",
              "|---:|---|" + "---:|" * len(TABLE_PHASES)]
    for hosts in sorted({r["web_hosts"] for r in records}):
        for tool in ("dockyard", "baseline"):
            deploy = find(records, tool, "deploy", hosts)
            if deploy is not None:
                cells = [f"{deploy['phases_s'][p]:.1f}" if p in deploy["phases_s"] else "-" for p in TABLE_PHASES]
                lines.append(f"| {hosts} | {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


PHASE_COLOURS = {"pre-flight": "#9e9e9e", "pull": "#1f77b4", "static": "#bcbd22", "record": "#17becf", "backup": "#8c564b",
                 "manage": "#9467bd", "switch": "#ff7f0e", "workers": "#2ca02c", "revert": "#d62728",
                 "finish": "#7f7f7f"}


def plot(records: list[dict[str, Any]], hosts: int, path: str) -> None:
    """A PNG timeline for one host count: one panel per trial, hosts on the vertical axis,
    time on the horizontal, each phase a bar; under each, every request as a tick (green ok,
    red failed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    trials = [r for r in records if r["web_hosts"] == hosts and r["action"] in ("deploy", "rollback")]
    trials.sort(key=lambda r: (r["action"] != "deploy", r["tool"] != "dockyard"))
    if not trials:
        return
    longest = max(r["wall_s"] for r in trials)
    heights = []
    for record in trials:
        heights += [max(2, len({s["host"] for s in record["steps"]})), 0.6]
    fig, axes = plt.subplots(len(heights), 1, figsize=(12, 0.45 * sum(heights) + 1.5),
                             gridspec_kw={"height_ratios": heights}, sharex=True)
    for index, record in enumerate(trials):
        bars, strip = axes[2 * index], axes[2 * index + 1]
        hosts_seen = sorted({s["host"] for s in record["steps"]}, key=_host_order)
        spans: dict[tuple[str, str], tuple[float, float]] = {}
        for step in record["steps"]:
            key = (step["host"], step["phase"])
            first, last = spans.get(key, (step["start"], step["end"]))
            spans[key] = (min(first, step["start"]), max(last, step["end"]))
        for (host, phase), (start, end) in spans.items():
            bars.barh(hosts_seen.index(host), max(end - start, 0.05), left=start, height=0.6,
                      color=PHASE_COLOURS.get(phase, "#bcbd22"))
        bars.set_yticks(range(len(hosts_seen)), hosts_seen)
        bars.invert_yaxis()
        req = record["requests"]
        bars.set_title(f"{record['tool']} {record['action']}, {hosts} web host(s): {record['wall_s']:.1f} s, "
                       f"{req['failed']} of {req['sent']} requests failed", fontsize=9, loc="left")
        ok = [t for t, _s, good in record["requests_timeline"] if good]
        bad = [t for t, _s, good in record["requests_timeline"] if not good]
        strip.eventplot([ok, bad], colors=["#2ca02c", "#d62728"], lineoffsets=[0, 1], linelengths=0.8,
                        linewidths=0.3)
        strip.set_yticks([0, 1], ["ok", "failed"], fontsize=7)
        strip.set_ylim(-0.6, 1.6)
    axes[-1].set_xlim(0, longest * 1.02)
    axes[-1].set_xlabel("seconds since the start of the run")
    fig.legend(handles=[Patch(color=c, label=p) for p, c in PHASE_COLOURS.items()], loc="upper center",
               ncol=len(PHASE_COLOURS), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _host_order(host: str) -> tuple[int, str]:
    order = ["localhost", "lb1", "db1"]
    return (order.index(host), host) if host in order else (3 if host.startswith("web") else 4, host)
