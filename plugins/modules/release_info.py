#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release_info
short_description: Read an app's release files (TAG, REVERT and the release history) on one host
version_added: 0.2.0
description:
  - Reads C(<root>/<app>/TAG), C(<root>/<app>/REVERT) and C(<root>/<app>/HISTORY.json), as
    M(dockyard.django.release) writes them, and returns what they say. Never changes anything.
  - Missing files are reported as null (no tag) or an empty history; a missing app directory
    is not an error.
  - A malformed file (see M(dockyard.django.release)) makes the module fail, naming the file and
    the problem without quoting its content.
options: {}
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.app.root
  - dockyard.django.attributes
  - dockyard.django.attributes.info_module
seealso:
  - module: dockyard.django.release
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Read the release files of shop
  dockyard.django.release_info:
    app: shop
  register: shop_release

- name: Roll back to the oldest release still in the history
  dockyard.django.release:
    app: shop
    tag: "{{ shop_release.history[0].tag }}"
    result: rolled-back
  when: shop_release.history | length > 0
"""

RETURN = r"""
current:
  description: The tag in TAG; null when there is none.
  returned: always
  type: str
  sample: build-42
previous:
  description: The tag in REVERT; null when there is none.
  returned: always
  type: str
  sample: build-41
history:
  description: The entries of HISTORY.json, oldest first, newest last; empty when there is none.
  returned: always
  type: list
  elements: dict
  sample:
    - tag: build-41
      previous: build-40
      time: "2026-01-12T09:30:00Z"
      deployer: alice
      result: deployed
      migrations: []
    - tag: build-42
      previous: build-41
      time: "2026-01-13T10:02:11Z"
      deployer: alice
      result: deployed
      migrations: [orders.0042_add_status]
entry:
  description:
    - Always null, since reading adds no history entry. Kept so that a result of this module has
      the keys of a M(dockyard.django.release) result.
  returned: always
  type: dict
path:
  description: The app's directory that holds the files.
  returned: always
  type: str
  sample: /var/www/shop
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._release import MalformedFile, read_releases
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
)


def main() -> None:
    module = AnsibleModule(argument_spec=app_argument_spec(), supports_check_mode=True)
    try:
        app = check_app(module.params["app"])
        root = os.path.normpath(check_absolute(module.params["root"]))
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    directory = os.path.join(root, app)
    try:
        releases = read_releases(directory)
    except MalformedFile as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, current=releases.current, previous=releases.previous,
                     history=releases.history, entry=None, path=directory)


if __name__ == "__main__":
    main()
