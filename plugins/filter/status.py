# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of playbooks/status.yml and logs.yml: what the hosts said, as one report, one table,
and log lines merged across hosts. Pure and unit-tested (tests/unit/plugins/filter/test_status.py)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Callable

_UPSTREAM_RE = re.compile(r"^server\s+(?P<address>\S+):(?P<port>[0-9]+)\b(?P<rest>[^;]*);", re.M)
# docker logs --timestamps: "2026-11-30T10:15:00.123456789Z message"
_LOG_TIME_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) ?(.*)$")


def _human_bytes(value: Any) -> str:
    if not value:
        return "-"
    value = int(value)
    for unit, size in (("g", 1024 ** 3), ("m", 1024 ** 2), ("k", 1024)):
        if value >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + unit
    return f"{value}b"


def human_duration(seconds: Any) -> str:
    """3d04h, 2h03m, 5m07s, 42s; '-' for none."""
    if seconds is None or seconds == "":
        return "-"
    seconds = int(float(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours:02d}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def upstream_of(text: str | None, port: int) -> dict[str, Any] | None:
    """What the front's upstream file of a web host says: the slot it points at, and whether the
    host is marked down; None without a file (the front does not route to the host)."""
    if not text:
        return None
    match = _UPSTREAM_RE.search(text)
    if match is None:
        return None
    target = int(match.group("port"))
    slot = {port: "a", port + 1: "b"}.get(target)
    return {"address": match.group("address"), "port": target, "slot": slot, "down": " down" in match.group("rest")}


def audit_entries(lines: Sequence[str] | str | None) -> list[dict[str, Any]]:
    """The audit log's JSON lines (a line that is not JSON is skipped)."""
    if isinstance(lines, str):
        lines = lines.splitlines()
    entries = []
    for line in lines or []:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def last_deploys(per_host: Mapping[str, Sequence[Mapping[str, Any]]], count: int = 5) -> list[dict[str, Any]]:
    """The last ``count`` runs from every host's audit log, newest first: one entry per run
    (each host logs the run it took part in), with the hosts that logged it."""
    runs: dict[str, dict[str, Any]] = {}
    for host, entries in per_host.items():
        for entry in entries:
            key = str(entry.get("run_id") or f"{entry.get('time')}-{entry.get('to')}")
            run = runs.setdefault(key, {k: entry.get(k) for k in (
                "time", "run_id", "operator", "mode", "from", "to", "result", "duration")} | {"hosts": []})
            run["hosts"].append(host)
            # A run failed if it failed anywhere; it ends with the last host's line.
            if entry.get("result") != "ok":
                run["result"] = entry.get("result")
            run["time"] = max(str(run["time"] or ""), str(entry.get("time") or "")) or None
    ordered = sorted(runs.values(), key=lambda run: str(run["time"] or ""), reverse=True)
    for run in ordered:
        run["hosts"] = sorted(run["hosts"])
    return ordered[:count]


def status_report(hosts: Sequence[Mapping[str, Any]], app: Mapping[str, Any], lock: Any = None,
                  deploys: int = 5, upstreams: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The status of an app as one document (what ``-e format=json`` prints).

    ``hosts``: per host, what status.yml read there: ``host``, ``roles`` (web, worker, beat),
    ``release`` (release_info), ``slots`` (web_slot_info, web hosts), ``containers``
    (service_info) and ``audit`` (the audit log's last lines). ``app``: ``name`` and ``port``.
    ``upstreams``: the text of the front's upstream file of each web host that has one.
    """
    port = int(app["port"])
    report_hosts = []
    audits = {}
    for host in hosts:
        release = host.get("release") or {}
        slots = host.get("slots") or {}
        roles = list(host.get("roles") or [])
        containers = [dict(container) for container in host.get("containers") or []]
        for container in containers:
            container["active"] = container.get("slot") is not None and container.get("slot") == slots.get("active")
        entry = {
            "host": host["host"],
            "roles": roles,
            "tag": release.get("current"),
            "revert": release.get("previous"),
            "containers": containers,
        }
        if "web" in roles:
            entry["active_slot"] = slots.get("active")
            entry["front"] = upstream_of((upstreams or {}).get(host["host"]), port)
        # Services placed here that run nowhere on this host, and containers here that the
        # inventory no longer places here (left behind by a placement change).
        running = {c.get("service") for c in containers if c.get("running")}
        entry["missing"] = [role for role in roles if role not in running]
        entry["unplaced"] = sorted({c.get("service") for c in containers
                                    if c.get("running") and c.get("service") not in roles})
        report_hosts.append(entry)
        audits[host["host"]] = audit_entries(host.get("audit"))
    beats = [(h["host"], c.get("name")) for h in report_hosts for c in h["containers"]
             if c.get("service") == "beat" and c.get("running")]
    return {
        "app": app["name"],
        "lock": lock or None,
        "beats_running": len(beats),
        "hosts": report_hosts,
        "deploys": last_deploys(audits, deploys),
    }


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def _limits(limits: Mapping[str, Any] | None) -> str:
    limits = limits or {}
    memory, cpus = limits.get("memory"), limits.get("cpus")
    if not memory and not cpus:
        return "-"
    return f"{_human_bytes(memory)}/{(str(cpus).rstrip('0').rstrip('.') + 'cpu') if cpus else '-'}"


def _state(container: Mapping[str, Any]) -> str:
    state = str(container.get("state") or "?")
    return f"{state} ({container['health']})" if container.get("health") and container.get("running") else state


def _short(digest: Any) -> str:
    return str(digest)[7:19] if digest and str(digest).startswith("sha256:") else (str(digest) if digest else "-")


def status_table(report: Mapping[str, Any]) -> str:
    """The report as text: the lock, one line per container (with each host's TAG and REVERT),
    the front's view of each web host, then the last deploys."""
    lines = []
    lock = report.get("lock")
    if lock:
        lines.append(f"{report['app']}: LOCKED by {lock.get('holder')} (run {lock.get('run_id')}) since "
                     f"{lock.get('since')}" + (f", phase {lock['progress'].get('phase')}"
                                               if isinstance(lock.get("progress"), Mapping)
                                               and lock["progress"].get("phase") else ""))
    else:
        lines.append(f"{report['app']}: no deploy running (lock free)")
    rows = [["HOST", "TAG", "REVERT", "SERVICE", "SLOT", "TAG RUN", "STATE", "DIGEST", "UPTIME", "LIMITS", "FRONT"]]
    for host in report["hosts"]:
        first = True
        front = "-"
        if "web" in host["roles"]:
            seen = host.get("front")
            front = ("not routed" if seen is None else
                     f"slot {seen['slot'] or '?'} (:{seen['port']}){' DOWN' if seen['down'] else ''}")
        shown = [c for c in host["containers"] if c.get("running") or c.get("slot")]
        for container in shown or [{}]:
            slot = container.get("slot") or ""
            rows.append([
                host["host"] if first else "",
                (host.get("tag") or "-") if first else "",
                (host.get("revert") or "-") if first else "",
                container.get("service") or "(nothing)",
                (slot + ("*" if container.get("active") else "")) if slot else "",
                container.get("tag") or "",
                _state(container) if container else "",
                _short(container.get("digest")) if container else "",
                human_duration(container.get("uptime")) if container else "",
                _limits(container.get("limits")) if container else "",
                front if first else "",
            ])
            first = False
        for service in host.get("missing") or []:
            rows.append(["", "", "", service, "", "", "NOT RUNNING", "", "", "", ""])
        for service in host.get("unplaced") or []:
            rows.append(["", "", "", service, "", "", "running here, placed elsewhere", "", "", "", ""])
    lines += _table(rows)
    if report.get("unreachable"):
        lines.append(f"UNREACHABLE (not read): {', '.join(report['unreachable'])}")
    lines.append(f"beat: {report.get('beats_running', 0)} running (must be 1 for an app with a beat host)"
                 if any("beat" in h["roles"] for h in report["hosts"]) or report.get("beats_running")
                 else "beat: none placed")
    lines.append("")
    lines.append("Last deploys (audit log):")
    deploys = report.get("deploys") or []
    if deploys:
        rows = [["TIME", "OPERATOR", "MODE", "FROM", "TO", "RESULT", "SECONDS", "HOSTS"]]
        rows += [[str(d.get("time") or "-"), str(d.get("operator") or "-"), str(d.get("mode") or "-"),
                  str(d.get("from") or "-"), str(d.get("to") or "-"), str(d.get("result") or "-"),
                  str(d.get("duration") or "-"), ",".join(d.get("hosts") or [])] for d in deploys]
        lines += _table(rows)
    else:
        lines.append("none")
    return "\n".join(lines)


def log_containers(containers: Sequence[Mapping[str, Any]], service: str = "all") -> list[Mapping[str, Any]]:
    """The containers logs.yml reads: those of ``service`` (or of web, worker and beat), running,
    or stopped for a worker or beat (its last words); a stopped web slot holds the previous
    release, kept for a rollback, and is left out."""
    wanted = ("web", "worker", "beat") if service == "all" else (service,)
    return [container for container in containers if container.get("service") in wanted
            and (container.get("running") or not container.get("slot"))]


def log_source(container: Mapping[str, Any]) -> str:
    """How a log line names its container: the service, and the slot of a web container."""
    slot = container.get("slot")
    return f"{container.get('service')}{'-' + slot if slot else ''}"


def log_lines(per_host: Sequence[Mapping[str, Any]], lines: int | None = None) -> list[str]:
    """Container log lines from every host, each prefixed with its host and service, in time order.

    ``per_host``: ``{host, service, output}`` items, ``output`` as ``docker logs --timestamps``
    prints it. With ``lines``, only the last ones overall.
    """
    merged: list[tuple[str, int, str]] = []
    for order, item in enumerate(per_host):
        prefix = f"{item['host']} {item['service']}"
        for line in str(item.get("output") or "").splitlines():
            # docker logs prints the container's stdout, then its stderr: blank lines between.
            if not line.strip():
                continue
            match = _LOG_TIME_RE.match(line)
            stamp, text = (match.group(1), match.group(2)) if match else ("", line)
            shown = f"{stamp[:19]}Z {text}" if stamp else text
            merged.append((stamp, order, f"{prefix} | {shown}".rstrip()))
    merged.sort(key=lambda item: (item[0], item[1]))
    shown = [text for _stamp, _order, text in merged]
    return shown[-int(lines):] if lines else shown


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "audit_entries": audit_entries,
            "human_duration": human_duration,
            "log_containers": log_containers,
            "log_lines": log_lines,
            "log_source": log_source,
            "status_report": status_report,
            "status_table": status_table,
            "upstream_of": upstream_of,
        }
