#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: web_slot_info
short_description: Report an app's two web slots on a host
version_added: 0.2.0
description:
  - Reads which of an app's two web slots is active (C(<root>/<app>/SLOT), as
    M(dockyard.django.web_slot) writes it) and what runs in each slot, that is whether the web
    container of the Compose project C(<app>-<slot>) exists and runs, its health and its image tag.
  - Never starts, stops or writes anything. Asks the Docker Engine API (the Docker SDK for Python).
options:
  service:
    description: The compose service that serves web traffic.
    type: str
    default: web
requirements:
  - Docker SDK for Python (C(docker), Debian package C(python3-docker)) on the managed host.
extends_documentation_fragment:
  - dockyard.django.app
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

- name: Show the tag the active slot serves
  ansible.builtin.debug:
    msg: "{{ shop_slots.slots[shop_slots.active].tag }}"
  when: shop_slots.active is not none
"""

RETURN = r"""
active:
  description: The active slot; null before a first deploy.
  returned: always
  type: str
  sample: b
slots:
  description: What runs in each slot (exists, running, health, tag).
  returned: always
  type: dict
  sample: {a: {exists: true, running: false, health: null, tag: build-42}, b: {exists: true, running: true, health: healthy, tag: build-43}}
"""

import os
from dataclasses import asdict

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
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
    argument_spec = app_argument_spec()
    argument_spec.update(service=dict(type="str", default="web"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        check_app(params["app"])
        check_absolute(params["root"])
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    directory = os.path.join(params["root"], params["app"])
    try:
        active, slots = SlotReader(connect(module), directory, params["app"], params["service"]).read()
    except MalformedSlotFile as exc:
        module.fail_json(msg=str(exc))
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=engine_failure(exc))
    module.exit_json(changed=False, active=active, slots={name: asdict(state) for name, state in slots.items()})


if __name__ == "__main__":
    main()
