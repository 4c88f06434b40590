#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: file_set
short_description: Keep several small files and directories of one owner and mode, in one call
version_added: 0.2.0
description:
  - Makes each directory of O(directories) and each file of O(files) exist with the given owner,
    group and mode, and each file hold exactly the content given; writes only what differs.
  - One call instead of a loop of M(ansible.builtin.template) or M(ansible.builtin.file) tasks,
    each of which costs one or two round trips per item over SSH. Render each file's content on
    the controller first, for instance with C(lookup('ansible.builtin.template', ...)) or
    C(query('ansible.builtin.template', ...)) for several.
  - Directories are made first, each before the ones inside it; a file whose directory neither
    exists nor is listed makes the module fail before it changes anything.
  - Each file is written atomically (a temporary file in its directory, then a rename), with
    its owner, group and mode set before the rename.
  - Not for secrets, since C(--diff) shows the files' contents.
options:
  files:
    description:
      - Path of each file to keep, mapped to its content (text, written as UTF-8).
    type: dict
    default: {}
  directories:
    description:
      - Path of each directory to keep, mapped to its mode (for instance V('0755')); an empty
        mode means O(directory_mode).
    type: dict
    default: {}
  mode:
    description:
      - The files' mode, as an octal string.
    type: str
    default: '0644'
  directory_mode:
    description:
      - The directories' mode where O(directories) gives none.
    type: str
    default: '0755'
  owner:
    description:
      - The owner of every file and directory; omitted, new ones get the user the module runs as,
        existing ones keep theirs.
    type: str
  group:
    description:
      - The group of every file and directory; omitted, as O(owner).
    type: str
  force:
    description:
      - V(false) writes a file only when it does not exist (its content is then left alone; its
        owner, group and mode are still kept), like M(ansible.builtin.template)'s C(force).
    type: bool
    default: true
  validate:
    description:
      - A command that checks a file's new content before it is written, with V(%s) where the
        path of a copy goes, as in M(ansible.builtin.template)'s C(validate). It runs on every file
        whose content would be written, before anything is changed, and not in check mode.
      - A content it refuses makes the module fail with the command's output, having changed
        nothing.
    type: str
  backup:
    description:
      - Before replacing a file's content, keep a copy of the previous file beside it (RV(files[].backup_file)),
        for instance to put it back when a later check of the whole set fails.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reads every file and directory and reports what would change; writes nothing.
  diff_mode:
    support: full
    description: Each file whose content would change, before and after; each new directory.
extends_documentation_fragment:
  - dockyard.django.attributes
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Write the shared snippets of the front
  dockyard.django.file_set:
    files:
      /etc/nginx/dockyard/proxy_params.conf: "{{ lookup('ansible.builtin.template', 'proxy_params.conf.j2') }}"
      /etc/nginx/dockyard/down_page.conf: "{{ lookup('ansible.builtin.template', 'down_page.conf.j2') }}"
    owner: root
    group: root
    backup: true
  register: snippets
  notify: reload nginx

- name: Make the sites' directories, the TLS one private
  dockyard.django.file_set:
    directories:
      /etc/nginx/dockyard/shop: ''
      /etc/nginx/dockyard/shop/tls: '0750'
    owner: root
    group: root

- name: Write an app's directory and compose file, checked by Compose before it is written
  dockyard.django.file_set:
    directories:
      /var/www/shop: '0750'
    files:
      /var/www/shop/compose.yml: "{{ lookup('ansible.builtin.template', 'compose.yml.j2') }}"
    owner: root
    group: shop
    mode: '0640'
    validate: docker compose -f %s config --quiet
"""

RETURN = r"""
files:
  description: Each file of O(files), in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    dest:
      description: The file's path.
      type: str
      sample: /etc/nginx/dockyard/proxy_params.conf
    changed:
      description: Whether its content, owner, group or mode changed (in check mode, would change).
      type: bool
      sample: true
    created:
      description: Whether it did not exist.
      type: bool
      sample: false
    backup_file:
      description: The copy of the previous file, with O(backup=true) when its content changed.
      type: str
      returned: when a backup was made
      sample: /etc/nginx/dockyard/proxy_params.conf.4021.2026-12-02@13:40:12~
directories:
  description: Each directory of O(directories), sorted by path, with C(path) and C(changed).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/nginx/dockyard/shop, changed: false}]
"""

import grp
import os
import pwd
import stat
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


class FileSet:
    """Read each path, compare with what is wanted, then write what differs (not in check mode)."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.check = module.check_mode
        self.diffs: list[dict[str, str]] = []

    def _attributes(self, path: str, mode: str) -> dict[str, Any]:
        return self.module.load_file_common_arguments(
            {"path": path, "mode": mode, "owner": self.params["owner"], "group": self.params["group"]})

    def _id(self, name: str | None, database: Any) -> int | None:
        """The uid or gid a name (or number) stands for; None when not given."""
        if name is None:
            return None
        if name.isdigit():
            return int(name)
        try:
            return database(name)[2]
        except KeyError:
            self.module.fail_json(msg=f"no such user or group on the host: {name!r}", changed=False)
            raise  # not reached: fail_json exits

    def _attributes_differ(self, path: str, mode: str) -> bool:
        """Whether owner, group or mode of an existing path would change."""
        status = os.lstat(path)
        uid = self._id(self.params["owner"], pwd.getpwnam)
        gid = self._id(self.params["group"], grp.getgrnam)
        return (stat.S_IMODE(status.st_mode) != int(mode, 8)
                or (uid is not None and status.st_uid != uid)
                or (gid is not None and status.st_gid != gid))

    def validate(self) -> None:
        """Fail, changing nothing, on a mode that is not octal or a file whose directory is missing."""
        for mode in [self.params["mode"], self.params["directory_mode"], *self.params["directories"].values()]:
            if mode and not (isinstance(mode, str) and mode.isdigit() and set(mode) <= set("01234567")
                             and len(mode) in (3, 4)):
                self.module.fail_json(msg=f"mode {mode!r} is not an octal mode such as '0644'", changed=False)
        self._id(self.params["owner"], pwd.getpwnam)
        self._id(self.params["group"], grp.getgrnam)
        listed = {os.path.normpath(path) for path in self.params["directories"]}
        for path in [*self.params["directories"], *self.params["files"]]:
            if not os.path.isabs(path):
                self.module.fail_json(msg=f"{path!r} is not an absolute path", changed=False)
        for dest in self.params["files"]:
            parent = os.path.dirname(os.path.normpath(dest))
            if not os.path.isdir(parent) and parent not in listed:
                self.module.fail_json(msg=f"the directory of {dest} does not exist and is not in directories",
                                      changed=False)
            if os.path.isdir(dest):
                self.module.fail_json(msg=f"{dest} is a directory", changed=False)
        if self.params["validate"] is not None and "%s" not in self.params["validate"]:
            self.module.fail_json(msg=f"validate must contain %s (where the file's path goes): {self.params['validate']!r}",
                                  changed=False)

    def _to_write(self, dest: str, wanted: bytes) -> bool:
        """Whether a file's content would be written: it is missing, or it differs and force is on."""
        if not os.path.exists(dest):
            return True
        if not self.params["force"]:
            return False
        with open(dest, "rb") as handle:
            return handle.read() != wanted

    def check_contents(self, contents: dict[str, bytes]) -> None:
        """Run O(validate) on a copy of each content that would be written; fail on the first
        refused, before any file is written."""
        command = self.params["validate"]
        if command is None or self.check:
            return
        for dest, wanted in contents.items():
            if not self._to_write(dest, wanted):
                continue
            handle, copy = tempfile.mkstemp(prefix=".file_set.", dir=self.module.tmpdir)
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(wanted)
                rc, out_text, err_text = self.module.run_command(command % copy)
            finally:
                os.unlink(copy)
            if rc != 0:
                self.module.fail_json(msg=f"validate refused the new content of {dest} (exit code {rc}); nothing was changed",
                                      exit_status=rc, stdout=out_text, stderr=err_text, changed=False)

    def directory(self, path: str, mode: str) -> dict[str, Any]:
        mode = mode or self.params["directory_mode"]
        exists = os.path.isdir(path)
        changed = not exists or self._attributes_differ(path, mode)
        if not exists:
            self.diffs.append({"before_header": path, "after_header": path,
                               "before": "absent\n", "after": "directory\n"})
        if changed and not self.check:
            if not exists:
                os.makedirs(path, exist_ok=True)
            self.module.set_fs_attributes_if_different(self._attributes(path, mode), False)
        return {"path": path, "changed": changed}

    def file(self, dest: str, wanted: bytes) -> dict[str, Any]:
        mode = self.params["mode"]
        exists = os.path.exists(dest)
        current = None
        if exists:
            with open(dest, "rb") as handle:
                current = handle.read()
        write = not exists or (self.params["force"] and current != wanted)
        changed = write or self._attributes_differ(dest, mode)
        result: dict[str, Any] = {"dest": dest, "changed": changed, "created": not exists}
        if write:
            self.diffs.append({"before_header": dest, "after_header": dest,
                               "before": to_native(current or b"", errors="surrogate_or_strict"),
                               "after": to_native(wanted, errors="surrogate_or_strict")})
        if self.check or not changed:
            return result
        if write:
            if exists and self.params["backup"]:
                result["backup_file"] = self.module.backup_local(dest)
            handle, temporary = tempfile.mkstemp(prefix=".file_set.", dir=os.path.dirname(dest))
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(wanted)
                    out.flush()
                    os.fsync(out.fileno())
                self.module.set_fs_attributes_if_different(self._attributes(temporary, mode), False)
                self.module.atomic_move(temporary, dest, unsafe_writes=False)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
        self.module.set_fs_attributes_if_different(self._attributes(dest, mode), False)
        return result

    def run(self) -> dict[str, Any]:
        self.validate()
        contents = {dest: to_bytes("" if content is None else str(content), errors="surrogate_or_strict")
                    for dest, content in self.params["files"].items()}
        self.check_contents(contents)
        # Sorted, a directory comes before the ones inside it.
        directories = [self.directory(path, self.params["directories"][path])
                       for path in sorted(self.params["directories"])]
        files = [self.file(dest, wanted) for dest, wanted in contents.items()]
        result: dict[str, Any] = {
            "changed": any(entry["changed"] for entry in directories + files),
            "files": files,
            "directories": directories,
        }
        if self.module._diff:
            result["diff"] = self.diffs
        return result


def main() -> None:
    argument_spec: dict[str, Any] = {
        "files": {"type": "dict", "default": {}},
        "directories": {"type": "dict", "default": {}},
        "mode": {"type": "str", "default": "0644"},
        "directory_mode": {"type": "str", "default": "0755"},
        "owner": {"type": "str"},
        "group": {"type": "str"},
        "force": {"type": "bool", "default": True},
        "backup": {"type": "bool", "default": False},
        "validate": {"type": "str"},
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    module.exit_json(**FileSet(module).run())


if __name__ == "__main__":
    main()
