# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for the names playbooks take from the command line: ``tag is dockyard.django.docker_tag``.

They use the same rules as the modules (module_utils/_validation.py), so a playbook's pre-flight
refuses exactly what a module would.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.dockyard.django.plugins.module_utils._validation import APP_RE, TAG_RE


def docker_tag(value: Any) -> bool:
    """Whether value is a tag in Docker's grammar."""
    return isinstance(value, str) and TAG_RE.match(value) is not None


def app_name(value: Any) -> bool:
    """Whether value is a safe app name (a single path component, no shell characters)."""
    return isinstance(value, str) and APP_RE.match(value) is not None


class TestModule:
    def tests(self) -> dict[str, Callable[[Any], bool]]:
        return {"docker_tag": docker_tag, "app_name": app_name}
