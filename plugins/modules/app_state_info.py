#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: app_state_info
short_description: Read in one call what a deploy needs to know of an app on one host
version_added: 0.3.0
description:
  - Reads, in one round trip, what M(dockyard.django.release_info), M(dockyard.django.web_slot_info)
    and M(dockyard.django.service_info) read one each, whether a release's image is on the host,
    and the address other hosts reach it at. The deploy's first phase asks it once per host; a
    deploy with nothing to do ends after this one read per host.
  - Never changes anything; pulls nothing.
  - A malformed release or SLOT file makes the module fail, naming the file and the problem
    without quoting its content.
options:
  image:
    description:
      - The app's image repository, as the hosts pull it (C(registry.example.com/shop)). With
        O(tag), the module tells whether C(<image>:<tag>) is on the host (RV(image_present)).
    type: str
  tag:
    description:
      - The release a run goes to. With O(image), RV(image_present) says whether its image is
        on the host; with O(compare_config), containers are compared only when C(TAG) names
        this release (a host on another release starts new containers anyway).
    type: str
  compare_config:
    description:
      - Tell whether each container runs the configuration of the compose file and env file as
        they are now, as M(dockyard.django.service_info) does (C(config_current) in each of RV(containers)).
        Costs one C(docker compose --dry-run) run per Compose project of the app.
      - Skipped (no C(config_current)) when O(tag) is given and C(TAG) names another release.
    type: bool
    default: false
  address:
    description:
      - Report the host's default IPv4 address (RV(address)), the source address of its route to
        the internet, the value Ansible's facts give as C(default_ipv4.address).
    type: bool
    default: false
requirements:
  - Docker CLI with the Compose v2 plugin on the host
  - C(ip) (iproute2) for O(address)
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.app.root
  - dockyard.django.attributes
  - dockyard.django.attributes.info_module
seealso:
  - module: dockyard.django.release_info
  - module: dockyard.django.web_slot_info
  - module: dockyard.django.service_info
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Read what runs of shop here, and whether build-43 is on the host
  dockyard.django.app_state_info:
    app: shop
    image: registry.example.com/shop
    tag: build-43
    compare_config: true
    address: true
  register: shop_state

- name: Pull build-43 where it is missing
  dockyard.django.image:
    repository: registry.example.com/shop
    tag: build-43
  when: not shop_state.image_present
"""

RETURN = r"""
current:
  description: The tag in TAG; null when there is none (M(dockyard.django.release_info)).
  returned: always
  type: str
  sample: build-42
previous:
  description: The tag in REVERT; null when there is none.
  returned: always
  type: str
  sample: build-41
history:
  description: The entries of HISTORY.json, oldest first (M(dockyard.django.release_info)).
  returned: always
  type: list
  elements: dict
path:
  description: The app's directory.
  returned: always
  type: str
  sample: /var/www/shop
active:
  description: The web slot the SLOT file names (V(a) or V(b)); null before a first deploy.
  returned: always
  type: str
  sample: b
slots:
  description: What runs in each web slot, as M(dockyard.django.web_slot_info) returns it.
  returned: always
  type: dict
  sample:
    a: {exists: true, running: false, health: null, tag: build-42}
    b: {exists: true, running: true, health: healthy, tag: build-43}
containers:
  description:
    - The app's containers on the host, as M(dockyard.django.service_info) lists them (with
      C(config_current) when compared).
  returned: always
  type: list
  elements: dict
image_present:
  description: Whether C(<image>:<tag>) is on the host; null without O(image) and O(tag).
  returned: always
  type: bool
address:
  description: The host's default IPv4 address; null without O(address) or without a default route.
  returned: always
  type: str
  sample: 10.0.0.21
"""

from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._release import MalformedFile, read_releases
from ansible_collections.dockyard.django.plugins.module_utils._services import (
    ServiceError,
    Services,
    default_route_source,
    slots_of,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
    check_tag,
)
from ansible_collections.dockyard.django.plugins.module_utils._web_slot import MalformedSlotFile, read_slot_file


class AppState:
    """Reads everything of one app on this host; changes nothing."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.services = Services(module, self.params["app"], self.params["root"])

    def image_present(self) -> bool | None:
        if not (self.params["image"] and self.params["tag"]):
            return None
        return self.services.image_exists(f"{self.params['image']}:{self.params['tag']}")

    def address(self) -> str | None:
        if not self.params["address"]:
            return None
        ip_bin = self.module.get_bin_path("ip", required=True)
        _rc, out, _err = self.module.run_command([ip_bin, "-4", "route", "get", "8.8.8.8"])
        return default_route_source(out)

    def read(self) -> dict[str, Any]:
        directory = self.services.directory
        releases = read_releases(directory)
        containers = self.services.read(datetime.now(timezone.utc))
        tag = self.params["tag"]
        if self.params["compare_config"] and (tag is None or releases.current == tag):
            self.services.compare(containers)
        return {
            "changed": False,
            "current": releases.current,
            "previous": releases.previous,
            "history": releases.history,
            "path": directory,
            "active": read_slot_file(directory),
            "slots": {name: asdict(state) for name, state in slots_of(containers).items()},
            "containers": containers,
            "image_present": self.image_present(),
            "address": self.address(),
        }


def main() -> None:
    argument_spec = app_argument_spec()
    argument_spec.update(
        image=dict(type="str"),
        tag=dict(type="str"),
        compare_config=dict(type="bool", default=False),
        address=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        check_app(module.params["app"])
        check_absolute(module.params["root"])
        if module.params["tag"] is not None:
            check_tag(module.params["tag"])
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = AppState(module).read()
    except (MalformedFile, MalformedSlotFile, ServiceError, ValueError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
