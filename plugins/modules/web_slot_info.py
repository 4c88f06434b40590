#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: web_slot_info
short_description: Report an app's two web slots on a host (or several apps' at once)
version_added: 0.2.0
description:
  - Reads which of an app's two web slots is active (C(<root>/<app>/SLOT), as
    M(dockyard.django.web_slot) writes it) and what runs in each slot, that is whether the web
    container of the Compose project C(<app>-<slot>) exists and runs, its health and its image tag.
  - With O(apps) instead of O(app), reads every app named in the same run (one round trip for
    all the apps of a host) and returns RV(apps).
  - Never starts, stops or writes anything. Asks the Docker Engine API (the Docker SDK for Python).
options:
  service:
    description: The compose service that serves web traffic.
    type: str
    default: web
requirements:
  - Docker SDK for Python (C(docker), Debian package C(python3-docker)) on the managed host.
extends_documentation_fragment:
  - dockyard.django.app.apps
  - dockyard.django.app.root
  - dockyard.django.attributes
  - dockyard.django.attributes.info_module
seealso:
  - module: dockyard.django.web_slot
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Read the web slots of shop
  dockyard.django.web_slot_info:
    app: shop
  register: shop_slots

- name: Read the web slots of every app on this host, in one round trip
  dockyard.django.web_slot_info:
    apps: [shop, blog]
  register: here

- name: Show the tag the active slot serves
  ansible.builtin.debug:
    msg: "{{ shop_slots.slots[shop_slots.active].tag }}"
  when: shop_slots.active is not none
"""

RETURN = r"""
active:
  description: The active slot; null before a first deploy.
  returned: when O(app) is given
  type: str
  sample: b
slots:
  description: What runs in each slot (exists, running, health, tag).
  returned: when O(app) is given
  type: dict
  sample: {a: {exists: true, running: false, health: null, tag: build-42}, b: {exists: true, running: true, health: healthy, tag: build-43}}
apps:
  description: With O(apps), RV(active) and RV(slots) of each app, by app name.
  returned: when O(apps) is given
  type: dict
  sample: {shop: {active: b, slots: {a: {exists: true, running: false, health: null, tag: build-42}}}}
"""

import os
from dataclasses import asdict
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_names, apps_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._docker import (
    DockerException,
    RequestException,
    connect,
    engine_failure,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
)
from ansible_collections.dockyard.django.plugins.module_utils._web_slot import MalformedSlotFile, SlotReader


def main() -> None:
    argument_spec, exactly_one = apps_argument_spec()
    argument_spec.update(service=dict(type="str", default="web"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, **exactly_one)
    params = module.params
    single = params["app"]
    names = app_names(params)
    try:
        for name in names:
            check_app(name)
        check_absolute(params["root"])
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    found: dict[str, dict[str, Any]] = {}
    try:
        client = connect(module) if names else None
        for name in names:
            active, slots = SlotReader(client, os.path.join(params["root"], name), name, params["service"]).read()
            found[name] = {"active": active, "slots": {slot: asdict(state) for slot, state in slots.items()}}
    except MalformedSlotFile as exc:
        module.fail_json(msg=str(exc))
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=engine_failure(exc))
    if single is not None:
        module.exit_json(changed=False, **found[single])
    module.exit_json(changed=False, apps=found)


if __name__ == "__main__":
    main()
