# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for publishing releases' static files to the fronts (roles/proxy static_*.yml)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable


def common_items(lists: Iterable[Iterable[Any]]) -> list[Any]:
    """The items every one of the lists holds, in the first list's order, each once.

    No lists at all gives an empty list (nothing is known to be everywhere).
    """
    lists = [list(items) for items in lists]
    if not lists:
        return []
    rest = [set(items) for items in lists[1:]]
    seen: set[Any] = set()
    common = []
    for item in lists[0]:
        if item not in seen and all(item in other for other in rest):
            seen.add(item)
            common.append(item)
    return common


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"common_items": common_items}
