#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: deploy_lock_info
short_description: Report who holds an app's deploy lock on one host
version_added: 0.2.0
description:
  - Reads the lock file C(<dir>/<app>.lock) that M(dockyard.django.deploy_lock) takes and
    releases, and returns who holds it, since when, and the run's id. Never changes anything.
  - A file that is not a lock written by M(dockyard.django.deploy_lock) makes the module fail
    without quoting it.
options:
  dir:
    description: The directory of the lock files.
    type: path
    default: /var/lib/dockyard/locks
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.attributes
  - dockyard.django.attributes.info_module
seealso:
  - module: dockyard.django.deploy_lock
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Who holds the deploy lock of shop
  dockyard.django.deploy_lock_info:
    app: shop
  register: shop_lock

- name: Say it
  ansible.builtin.debug:
    msg: "{{ shop_lock.lock.holder ~ ' since ' ~ shop_lock.lock.since if shop_lock.lock else 'nobody' }}"
"""

RETURN = r"""
lock:
  description: The lock; null when nobody holds it.
  returned: always
  type: dict
  sample: {app: shop, holder: alice@laptop, run_id: "20261123T130201-4242", since: "2026-11-23T13:02:01Z"}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._deploy_lock import (
    DEFAULT_DIR,
    MalformedLock,
    lock_path,
    read_lock,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
)


def main() -> None:
    argument_spec = app_argument_spec(root=False)
    argument_spec.update(dir=dict(type="path", default=DEFAULT_DIR))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        app = check_app(module.params["app"])
        directory = check_absolute(module.params["dir"], "dir")
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    try:
        lock = read_lock(lock_path(directory, app))
    except MalformedLock as exc:
        module.fail_json(msg=f"{exc}; remove it by hand if it is not a dockyard lock")
    except OSError as exc:
        module.fail_json(msg=f"lock file of {app} in {directory}: {exc.strerror or exc}")
    module.exit_json(changed=False, lock=lock)


if __name__ == "__main__":
    main()
