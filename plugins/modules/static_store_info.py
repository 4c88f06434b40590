#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: static_store_info
short_description: Read the front's store of an app's static files
version_added: 0.1.0
description:
  - Reads, on a load balancer, the store M(dockyard.django.static_store) keeps for an app,
    namely the releases published, the releases the served tree is the union of, and the contents
    stored. Changes nothing.
  - With O(digests=true), also the sha256 of every stored content, for the O(dockyard.django.static_bundle#module:exclude)
    option of M(dockyard.django.static_bundle), so that a release sends only what the front lacks.
options:
  app:
    description:
      - The app's name; its store is C(<root>/<app>).
    type: str
    required: true
  root:
    description:
      - The directory holding one store per app.
    type: path
    default: /var/lib/dockyard/static
  digests:
    description:
      - Also return RV(digests).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Changes nothing.
extends_documentation_fragment:
  - dockyard.django.attributes
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Read what the front holds for demo
  dockyard.django.static_store_info:
    app: demo
    digests: true
  register: front
"""

RETURN = r"""
exists:
  description: Whether the app has a store on this host.
  returned: always
  type: bool
  sample: true
releases:
  description: The releases published, sorted by name, with their figures.
  returned: always
  type: list
  elements: dict
  contains:
    release:
      description: The release's tag.
      type: str
    files:
      description: Files in its static tree.
      type: int
    bytes:
      description: Their total size.
      type: int
    objects:
      description: Distinct contents among them.
      type: int
    manifest_digest:
      description: The sha256 of its canonical manifest (equal trees, equal digests).
      type: str
  sample: [{release: build-43, files: 784, bytes: 4612345, objects: 770, manifest_digest: 0f3d1c9b...}]
serving:
  description: The releases the served tree is the union of, in precedence order.
  returned: always
  type: list
  elements: str
  sample: [build-43, build-42]
generation:
  description: The served tree's generation; null when none is live.
  returned: always
  type: str
  sample: g7
objects:
  description: Contents stored.
  returned: always
  type: int
  sample: 790
object_bytes:
  description: Their total size (each content counted once).
  returned: always
  type: int
  sample: 4700000
digests:
  description: The sha256 of every stored content, sorted.
  returned: when O(digests=true)
  type: list
  elements: str
  sample: [00a1..., 00b7...]
"""

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._static_store import Store, StoreError, describe
from ansible_collections.dockyard.django.plugins.module_utils._validation import ValidationError, check_app


def main() -> None:
    argument_spec: dict[str, Any] = {
        "app": {"type": "str", "required": True},
        "root": {"type": "path", "default": "/var/lib/dockyard/static"},
        "digests": {"type": "bool", "default": False},
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        check_app(module.params["app"])
        if not os.path.isabs(module.params["root"]):
            raise ValidationError(f"root must be an absolute path, got {module.params['root'][:80]!r}")
    except ValidationError as exc:
        module.fail_json(msg=str(exc), changed=False)
    try:
        result = describe(Store(module.params["root"], module.params["app"]), digests=module.params["digests"])
    except (StoreError, OSError) as exc:
        module.fail_json(msg=f"static store of {module.params['app']}: {exc}")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
