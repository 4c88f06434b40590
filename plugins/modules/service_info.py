#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: service_info
short_description: Report the containers of an app's services on a host (or of several apps at once)
version_added: 0.3.0
description:
  - Lists every container of the app on the host (label C(dockyard.app=<app>) - C(web) in its two
    slots, C(worker), C(beat)), with its image tag and registry digest, state, health, start
    time and uptime, restart count and resource limits, as C(docker inspect) reports them.
  - With O(compare_config=true), also tells for each container whether it runs the app's
    configuration as it is now (its env file and compose service). Compose itself is asked, with
    C(docker compose --dry-run up --no-start), which containers it would recreate for the files
    as they are now. C(docker compose config --hash) is no help here, since it leaves the env
    file's contents out while C(up) recreates a container when they change.
  - Throwaway containers of manage commands are not listed (they carry another label).
  - With O(apps) instead of O(app), reads every app named in the same run (one round trip for
    all the apps of a host) and returns RV(apps).
  - Never starts, stops or writes anything.
options:
  compare_config:
    description:
      - Tell whether each container runs the configuration of the compose file and env file as
        they are now (RV(containers[].config_current)). Costs one C(docker compose --dry-run)
        run per Compose project of the app; it pulls nothing, starts and creates nothing.
    type: bool
    default: false
requirements:
  - Docker CLI with the Compose v2 plugin on the host
extends_documentation_fragment:
  - dockyard.django.app.apps
  - dockyard.django.app.root
  - dockyard.django.attributes
  - dockyard.django.attributes.info_module
seealso:
  - module: dockyard.django.web_slot_info
  - module: dockyard.django.release_info
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Read what runs of shop here
  dockyard.django.service_info:
    app: shop
    compare_config: true
  register: shop_services

- name: Read what runs of every app here, in one round trip
  dockyard.django.service_info:
    apps: [shop, blog]
  register: here

- name: Name the containers running an older configuration
  ansible.builtin.debug:
    msg: "{{ shop_services.containers | rejectattr('config_current') | map(attribute='name') | list }}"
"""

RETURN = r"""
apps:
  description: With O(apps), each app's containers, as RV(containers) lists them, by app name.
  returned: when O(apps) is given
  type: dict
  sample: {shop: [{service: web, slot: a, name: shop-a-web-1, running: true}], blog: []}
containers:
  description: The app's containers on the host, web (slot a, slot b), worker, beat, then any other.
  returned: when O(app) is given
  type: list
  elements: dict
  contains:
    service:
      description: The compose service (label C(dockyard.service)).
      type: str
      sample: web
    project:
      description: The Compose project, C(<app>) or C(<app>-<slot>) for a web slot.
      type: str
      sample: shop-b
    slot:
      description: The web slot (V(a) or V(b)), null for other services.
      type: str
    name:
      description: The container's name.
      type: str
      sample: shop-b-web-1
    id:
      description: The container's short id.
      type: str
    image:
      description: The image reference the container was created from.
      type: str
      sample: registry.example.com/shop:build-43
    tag:
      description: The image's tag.
      type: str
      sample: build-43
    image_id:
      description: The image's id on the host (sha256 of its configuration).
      type: str
    digest:
      description: The registry digest of the image (sha256:...), null for an image that never came from a registry.
      type: str
    state:
      description: Docker's state (running, exited, created, restarting, paused, dead).
      type: str
    running:
      description: Whether it runs.
      type: bool
    health:
      description: healthy, unhealthy or starting; null without a health check.
      type: str
    started_at:
      description: When it last started (UTC, ISO 8601), null if never.
      type: str
    finished_at:
      description: When it last stopped (UTC, ISO 8601), null if never.
      type: str
    uptime:
      description: Seconds it has been running, null when it does not run.
      type: int
    restarts:
      description: How many times the engine restarted it.
      type: int
    limits:
      description: Its memory limit in bytes and CPU limit in cores (null where there is none).
      type: dict
      sample: {memory: 536870912, cpus: 1.5}
    config_hash:
      description: The hash of the configuration Compose created it with.
      type: str
    config_current:
      description:
        - With O(compare_config=true), whether it runs the configuration of the files as they are
          now (Compose would not recreate it); null when it cannot tell (the service is no longer
          in the compose file, its image is gone, or the project's files are missing). Absent
          without O(compare_config).
      type: bool
"""

from datetime import datetime, timezone
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_names, apps_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._services import ServiceError, Services
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
)


def read(module: AnsibleModule, app: str) -> list[dict[str, Any]]:
    """One app's containers (compared with its files when asked)."""
    services = Services(module, app, module.params["root"])
    containers = services.read(datetime.now(timezone.utc))
    if module.params["compare_config"]:
        services.compare(containers)
    return containers


def main() -> None:
    argument_spec, exactly_one = apps_argument_spec()
    argument_spec.update(compare_config=dict(type="bool", default=False))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **exactly_one)
    single = module.params["app"]
    names = app_names(module.params)
    try:
        for name in names:
            check_app(name)
        check_absolute(module.params["root"])
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    try:
        found = {name: read(module, name) for name in names}
    except (ServiceError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    if single is not None:
        module.exit_json(changed=False, containers=found[single])
    module.exit_json(changed=False, apps=found)


if __name__ == "__main__":
    main()
