# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The volumes of an app's containers, for every kind of container alike: the compose services
(role django_app), the deploy's one-shot and per-host manage commands and playbooks/manage.yml.
One function, so that a manage command sees exactly the files the services see (uploaded media
above all: a data-loading command must not write media into a throwaway container)."""

from __future__ import annotations

from typing import Any, Callable

DOCUMENTATION = r"""
name: app_volumes
short_description: The volume strings every container of an app mounts
version_added: 0.1.0
description:
  - From an entry of C(dockyard_apps) (or of C(django_app_apps)), the Compose/C(docker run -v)
    volume strings of its containers - the entry's C(volumes) (formerly C(extra_volumes)), then
    its uploaded media, C(<media_dir>:<media_root>), when C(media_dir) is set.
  - C(media_root) defaults to C(/app/media), where the image contract puts C(MEDIA_ROOT).
options:
  _input:
    description: The app entry.
    type: dict
    required: true
author: dockyard.django maintainers
"""

EXAMPLES = r"""
- name: Run a data-loading command that writes uploaded media where the web service reads it
  dockyard.django.manage:
    app: "{{ app.name }}"
    image: "{{ app.image }}"
    argv: [loaddata, pages]
    volumes: "{{ app | dockyard.django.app_volumes }}"
"""

RETURN = r"""
_value:
  description: The volume strings, C(src:dst[:mode]), the entry's own first.
  type: list
  elements: str
"""

# Where the image contract (README, "Deploying your own app") puts MEDIA_ROOT.
DEFAULT_MEDIA_ROOT = "/app/media"


def app_volumes(app: dict[str, Any]) -> list[str]:
    """The entry's own volumes, then ``<media_dir>:<media_root>`` when it has media."""
    volumes = list(app.get("volumes") or app.get("extra_volumes") or [])
    media_dir = app.get("media_dir")
    if media_dir:
        volume = f"{media_dir}:{app.get('media_root') or DEFAULT_MEDIA_ROOT}"
        if volume not in volumes:
            volumes.append(volume)
    return volumes


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"app_volumes": app_volumes}
