# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the deploy playbooks' summary."""

from __future__ import annotations

from typing import Any, Callable


def phase_durations(marks: list[dict[str, Any]], end: float) -> dict[str, float]:
    """Seconds spent in each phase, from the start marks of the phases and the end time.

    A phase that ran more than once (one switch per batch) adds up.
    """
    bounds = [float(mark["at"]) for mark in marks] + [float(end)]
    durations: dict[str, float] = {}
    for index, mark in enumerate(marks):
        seconds = bounds[index + 1] - bounds[index]
        durations[mark["phase"]] = round(durations.get(mark["phase"], 0.0) + seconds, 2)
    return durations


def unreversed_migrations(history: list[dict[str, Any]], target: str) -> list[str]:
    """Migrations applied by the releases a rollback to ``target`` leaves behind.

    Every release deployed after the last deploy of ``target`` is rolled back; the migrations
    they applied (recorded in the history by the release module) stay in the database unless
    reversed. Without any deploy of ``target`` in the history, every recorded release counts.
    """
    tags = [entry.get("tag") for entry in history]
    last = len(tags) - 1 - tags[::-1].index(target) if target in tags else -1
    seen: list[str] = []
    for entry in history[last + 1:]:
        if entry.get("result") == "deployed":
            seen.extend(name for name in entry.get("migrations") or [] if name not in seen)
    return seen


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"phase_durations": phase_durations, "unreversed_migrations": unreversed_migrations}
