# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters for the roles' one read of a host before they act (install.yml of docker_host,
postgres, redis and proxy)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable


def missing_packages(lines: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The wanted packages that the read does not show installed, in the wanted order.

    ``lines`` are the read's output; dpkg-query -W -f='package ${Package} ${db:Status-Status}\\n'
    gives "package <name> installed" for an installed package, another status ("config-files",
    "half-installed", "not-installed") otherwise, and no line for a name dpkg does not know.
    Other lines of the read are ignored.
    """
    installed = set()
    for line in lines:
        fields = str(line).split()
        if len(fields) == 3 and fields[0] == "package" and fields[2] == "installed":
            installed.add(fields[1])
    return [name for name in wanted if name not in installed]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"missing_packages": missing_packages}
