#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: release
short_description: Keep an app's release files (TAG, REVERT and a release history) on one host
version_added: 0.1.0
description:
  - Keeps C(<root>/<app>/TAG) (the tag deployed now) and C(<root>/<app>/REVERT) (the tag deployed
    before it), each holding one line C(export TAG=<tag>), so that a shell script can run
    C(. /var/www/<app>/TAG) and use C($TAG) (the docker-runner convention).
  - Reading also accepts a bare C(TAG=<tag>) line, as older hand-written files have; such a file
    is rewritten in the C(export TAG=<tag>) form the next time it changes. Anything else in TAG or
    REVERT (more lines, other text, an invalid tag) makes the module fail and leave every file
    as it is. Error messages name the file and the problem but never quote its content.
  - Keeps a release history in C(<root>/<app>/HISTORY.json), a JSON list of entries,
    B(oldest first, newest last), trimmed to the newest O(history_size) entries whenever an entry
    is added. Each entry has the keys C(tag), C(previous), C(time) (UTC, ISO 8601 with C(Z)),
    C(deployer), C(result) and C(migrations) (a list, empty when none were given).
  - Every file is written atomically (a temporary file in the same directory, fsync, rename,
    fsync of the directory), REVERT before TAG, so a crash never leaves a half-written file
    and TAG always names a complete release.
  - A rollback to any tag still on the host is a normal O(state=deployed) with that tag, for
    instance one taken from the returned RV(history).
  - Creates O(root) and C(<root>/<app>) with mode C(0755) when they are missing; the app
    directory gets O(owner) and O(group) when it is created, and is not changed afterwards.
  - M(dockyard.django.release_info) reads the same files and changes nothing.
options:
  state:
    description:
      - V(deployed) makes O(tag) the current release. When another tag was current, REVERT takes
        that tag and a history entry is added. When O(tag) is already current nothing changes
        and no entry is added.
      - V(reverted) swaps TAG and REVERT (TAG takes the tag REVERT held, REVERT the tag TAG held)
        and adds a history entry. It is not idempotent by nature, since every run swaps again. It
        fails, changing nothing, when there is no REVERT or no TAG.
      - V(restored) puts TAG and REVERT back exactly as they were before a deploy that failed;
        TAG holds O(tag) and REVERT holds O(previous), and a file whose value is not given is
        removed. It adds a history entry (result V(rolled-back), or V(failed) when no release is
        left) for the release it undoes. Nothing changes when both files already hold those values.
    type: str
    choices: [deployed, reverted, restored]
    default: deployed
  tag:
    description:
      - The image tag to deploy, in Docker's tag grammar (letters, digits, V(_), V(.), V(-);
        at most 128 characters; not starting with V(.) or V(-)).
      - Required when O(state=deployed). With O(state=restored), the tag TAG goes back to
        (omit it when there was no TAG). Not accepted with the other states.
    type: str
  previous:
    description:
      - With O(state=restored), the tag REVERT goes back to (omit it when there was no REVERT).
        Not accepted with the other states.
    type: str
  history_size:
    description:
      - How many entries HISTORY.json keeps (the newest ones). Applied when an entry is added.
    type: int
    default: 10
  deployer:
    description:
      - Who deployed, recorded in the history entry.
      - Defaults to the remote user as the environment names it (E(SUDO_USER), E(USER),
        E(LOGNAME), in that order), else the name of the user the module runs as.
    type: str
  result:
    description:
      - The outcome recorded in the history entry, for example V(deployed), V(reverted),
        V(rolled-back) or V(failed).
      - Letters, digits, V(_), V(.) and V(-), starting with a letter, at most 64 characters.
      - Defaults to V(deployed) for O(state=deployed) and V(reverted) for O(state=reverted).
    type: str
  migrations:
    description:
      - Free-form names of the migrations this release applied, recorded in the history entry so
        that a later rollback can tell what to undo.
    type: list
    elements: str
  owner:
    description:
      - The owner (name or uid) of TAG, REVERT and HISTORY.json, and of the app directory when
        the module creates it. Unchanged when not given.
    type: str
  group:
    description:
      - The group (name or gid) of TAG, REVERT and HISTORY.json, and of the app directory when
        the module creates it. Unchanged when not given.
    type: str
  mode:
    description:
      - The permissions of TAG, REVERT and HISTORY.json, in octal, for example V(0644); a quoted
        string and an unquoted YAML number both work.
      - Existing files are brought to this mode too, which counts as a change.
    type: raw
    default: '0644'
attributes:
  check_mode:
    support: full
    description: Reports what would change and the resulting RV(current), RV(previous) and RV(history), and writes nothing.
  diff_mode:
    support: full
    description: "Shows TAG and REVERT before and after as C(TAG: <tag>) and C(REVERT: <tag>) lines."
extends_documentation_fragment:
  - dockyard.django.app
  - dockyard.django.app.root
  - dockyard.django.attributes
seealso:
  - module: dockyard.django.release_info
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Make build-42 the current release of shop
  dockyard.django.release:
    app: shop
    tag: build-42
    migrations:
      - orders.0042_add_status

- name: Go back to the release deployed before (swap TAG and REVERT)
  dockyard.django.release:
    app: shop
    state: reverted

- name: Put TAG and REVERT back as they were before a deploy that failed
  dockyard.django.release:
    app: shop
    state: restored
    tag: "{{ before.current | default(omit, true) }}"
    previous: "{{ before.previous | default(omit, true) }}"

- name: Read the release files
  dockyard.django.release_info:
    app: shop
  register: shop_release

- name: Roll back to the oldest release still in the history
  dockyard.django.release:
    app: shop
    tag: "{{ shop_release.history[0].tag }}"
    result: rolled-back
  when: shop_release.history | length > 0

- name: Use the current tag from a shell script
  ansible.builtin.shell: . /var/www/shop/TAG && docker compose -p shop up -d
  changed_when: true
"""

RETURN = r"""
current:
  description: The tag in TAG after the module ran (in check mode, what it would be); null when there is none.
  returned: always
  type: str
  sample: build-42
previous:
  description: The tag in REVERT after the module ran (in check mode, what it would be); null when there is none.
  returned: always
  type: str
  sample: build-41
history:
  description: The entries of HISTORY.json after the module ran (in check mode, what they would be), oldest first, newest last.
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
  description: The history entry this run added (or would add in check mode); null when it added none.
  returned: always
  type: dict
  sample:
    tag: build-42
    previous: build-41
    time: "2026-01-13T10:02:11Z"
    deployer: alice
    result: deployed
    migrations: [orders.0042_add_status]
path:
  description: The app's directory that holds the files.
  returned: always
  type: str
  sample: /var/www/shop
"""

import grp
import os
import pwd
import re
import stat
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import app_argument_spec
from ansible_collections.dockyard.django.plugins.module_utils._release import (
    HISTORY_FILE,
    REVERT_FILE,
    TAG_FILE,
    MalformedFile,
    Releases,
    atomic_write,
    format_history,
    format_tag_file,
    fsync_dir,
    make_entry,
    read_releases,
    render_state,
    rotate,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_absolute,
    check_app,
    check_tag,
)

_RESULT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
_OCTAL_MODE_RE = re.compile(r"^0?[0-7]{3,4}$")
DIR_MODE = 0o755


class ReleaseError(Exception):
    """The requested change cannot be made; nothing was written."""


@dataclass
class Settings:
    """The module's parameters, checked and resolved."""

    app: str
    root: str
    state: str
    tag: str | None
    previous: str | None
    history_size: int
    deployer: str
    result: str | None
    migrations: list[str]
    uid: int
    gid: int
    mode: int


def default_deployer() -> str:
    """The remote user: sudo keeps the real one in SUDO_USER, a login shell in USER/LOGNAME."""
    for name in ("SUDO_USER", "USER", "LOGNAME"):
        value = os.environ.get(name)
        if value:
            return value
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return str(os.getuid())


def _resolve_id(value: str | None, lookup: Any, what: str) -> int:
    """A user or group name (or number) as an id; -1 means 'leave as it is' to os.chown."""
    if value is None:
        return -1
    if value.isdigit():
        return int(value)
    try:
        return lookup(value)
    except KeyError:
        raise ValidationError(f"{what} {value!r} does not exist on this host") from None


def _check_mode_param(mode: object) -> int:
    if isinstance(mode, int) and not isinstance(mode, bool):
        # YAML reads an unquoted 0644 as the integer 420: that is the intended octal value.
        if 0 <= mode <= 0o7777:
            return mode
    elif isinstance(mode, str) and _OCTAL_MODE_RE.match(mode):
        return int(mode, 8)
    raise ValidationError(f"mode {mode!r} is not an octal file mode such as '0644'")


def _check_deployer(deployer: str) -> str:
    if not deployer or len(deployer) > 256 or any(ord(ch) < 32 for ch in deployer):
        raise ValidationError("deployer must be a non-empty single-line string of at most 256 characters")
    return deployer


def check_params(params: dict[str, Any]) -> Settings:
    """Check every parameter before anything is read or written; raise ValidationError."""
    app = check_app(params["app"])
    root = check_absolute(params["root"])
    state = params["state"]
    tag = params["tag"]
    if state == "deployed":
        if tag is None:
            raise ValidationError("tag is required when state is deployed")
        check_tag(tag)
    elif state == "restored":
        if tag is not None:
            check_tag(tag)
    elif tag is not None:
        raise ValidationError(f"tag is only used with state=deployed or restored, not with state={state}")
    previous = params["previous"]
    if previous is not None:
        if state != "restored":
            raise ValidationError(f"previous is only used with state=restored, not with state={state}")
        check_tag(previous, "previous")
    if params["history_size"] < 1:
        raise ValidationError(f"history_size must be at least 1, got {params['history_size']}")
    result = params["result"]
    if result is not None and not _RESULT_RE.match(result):
        raise ValidationError(
            f"result {result!r} is not valid: it must match [A-Za-z][A-Za-z0-9_.-]{{0,63}} (e.g. 'rolled-back')"
        )
    deployer = params["deployer"]
    return Settings(
        app=app,
        root=os.path.normpath(root),
        state=state,
        tag=tag,
        previous=previous,
        history_size=params["history_size"],
        deployer=_check_deployer(deployer if deployer is not None else default_deployer()),
        result=result,
        migrations=list(params["migrations"] or []),
        uid=_resolve_id(params["owner"], lambda name: pwd.getpwnam(name).pw_uid, "owner"),
        gid=_resolve_id(params["group"], lambda name: grp.getgrnam(name).gr_gid, "group"),
        mode=_check_mode_param(params["mode"]),
    )


class ReleaseFiles:
    """Reads an app's release files, works out what they should say, and makes it so."""

    def __init__(self, module: AnsibleModule, settings: Settings) -> None:
        self.module = module
        self.settings = settings
        self.directory = os.path.join(settings.root, settings.app)
        self.tag_path = os.path.join(self.directory, TAG_FILE)
        self.revert_path = os.path.join(self.directory, REVERT_FILE)
        self.history_path = os.path.join(self.directory, HISTORY_FILE)

    # Reading

    def read(self) -> Releases:
        """The files as they are; every file is parsed before anything could be written."""
        return read_releases(self.directory)

    # Planning

    def _entry(self, tag: str, previous: str | None, default_result: str) -> dict[str, Any]:
        s = self.settings
        return make_entry(tag, previous, s.result or default_result, s.deployer, s.migrations)

    def plan(self, before: Releases) -> tuple[Releases, dict[str, Any] | None]:
        """The files as they should be, and the history entry that gets them there."""
        if self.settings.state == "deployed":
            return self._plan_deployed(before)
        if self.settings.state == "reverted":
            return self._plan_reverted(before)
        if self.settings.state == "restored":
            return self._plan_restored(before)
        return before, None

    def _plan_deployed(self, before: Releases) -> tuple[Releases, dict[str, Any] | None]:
        tag = self.settings.tag or ""  # check_params made sure it is set for this state
        if before.current == tag:
            return before, None
        previous = before.current if before.current is not None else before.previous
        entry = self._entry(tag, before.current, "deployed")
        return Releases(tag, previous, rotate(before.history, entry, self.settings.history_size)), entry

    def _plan_reverted(self, before: Releases) -> tuple[Releases, dict[str, Any] | None]:
        if before.previous is None:
            raise ReleaseError(f"cannot revert: {self.revert_path} does not exist, so there is no previous release")
        if before.current is None:
            raise ReleaseError(f"cannot revert: {self.tag_path} does not exist, so there is no current release")
        if before.current == before.previous:
            return before, None
        entry = self._entry(before.previous, before.current, "reverted")
        after = Releases(before.previous, before.current, rotate(before.history, entry, self.settings.history_size))
        return after, entry

    def _plan_restored(self, before: Releases) -> tuple[Releases, dict[str, Any] | None]:
        tag, previous = self.settings.tag, self.settings.previous
        if before.current == tag and before.previous == previous:
            return before, None
        undone = before.current
        if tag is not None:
            entry = self._entry(tag, undone, "rolled-back")
        elif undone is not None:
            # No release is left (the first deploy failed): record the failed one.
            entry = self._entry(undone, None, "failed")
        else:
            entry = None
        history = before.history if entry is None else rotate(before.history, entry, self.settings.history_size)
        return Releases(tag, previous, history), entry

    # Acting

    def _prepare(self, path: str) -> None:
        os.chown(path, self.settings.uid, self.settings.gid)
        os.chmod(path, self.settings.mode)

    def _ensure_directory(self) -> bool:
        """Create root and the app directory when missing; only the app dir gets owner/group."""
        if os.path.isdir(self.directory):
            return False
        if self.module.check_mode:
            return True
        try:
            for path in (self.settings.root, self.directory):
                if not os.path.isdir(path):
                    os.makedirs(path, exist_ok=True)
                    # makedirs honours the umask; the documented mode should not depend on it.
                    os.chmod(path, DIR_MODE)
            os.chown(self.directory, self.settings.uid, self.settings.gid)
        except OSError as exc:
            raise ReleaseError(f"creating {self.directory} failed: {exc.strerror or exc}") from None
        return True

    def _attributes_differ(self, path: str) -> bool:
        st = os.lstat(path)
        s = self.settings
        return (
            stat.S_IMODE(st.st_mode) != s.mode
            or (s.uid != -1 and st.st_uid != s.uid)
            or (s.gid != -1 and st.st_gid != s.gid)
        )

    def _fix_attributes(self, paths: list[str]) -> bool:
        """Bring files that keep their content to the requested owner, group and mode."""
        changed = False
        for path in paths:
            if os.path.lexists(path) and not os.path.islink(path) and self._attributes_differ(path):
                changed = True
                if not self.module.check_mode:
                    self._prepare(path)
        return changed

    def _write(self, path: str, text: str) -> None:
        if self.module.check_mode:
            return
        try:
            atomic_write(path, text, self._prepare)
        except OSError as exc:
            raise ReleaseError(f"writing {path} failed: {exc.strerror or exc}") from None

    def _remove(self, path: str) -> None:
        if self.module.check_mode:
            return
        try:
            os.unlink(path)
            fsync_dir(self.directory)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise ReleaseError(f"removing {path} failed: {exc.strerror or exc}") from None

    def apply(self, before: Releases, after: Releases, entry: dict[str, Any] | None) -> bool:
        """Write what differs, REVERT before TAG so TAG always names a complete release."""
        removals = [path for path, was, now in ((self.revert_path, before.previous, after.previous),
                                                (self.tag_path, before.current, after.current))
                    if was is not None and now is None]
        for path in removals:
            self._remove(path)
        writes: list[tuple[str, str]] = []
        if after.previous is not None and after.previous != before.previous:
            writes.append((self.revert_path, format_tag_file(after.previous)))
        if after.current is not None and after.current != before.current:
            writes.append((self.tag_path, format_tag_file(after.current)))
        if entry is not None:
            writes.append((self.history_path, format_history(after.history)))
        if not writes:
            return self._fix_attributes([self.tag_path, self.revert_path, self.history_path]) or bool(removals)
        self._ensure_directory()
        written = {path for path, _text in writes}
        for path, text in writes:
            self._write(path, text)
        self._fix_attributes([p for p in (self.tag_path, self.revert_path, self.history_path) if p not in written])
        return True

    def run(self) -> dict[str, Any]:
        before = self.read()
        after, entry = self.plan(before)
        changed = self.apply(before, after, entry)
        result: dict[str, Any] = {
            "changed": changed,
            "current": after.current,
            "previous": after.previous,
            "history": after.history,
            "entry": entry,
            "path": self.directory,
        }
        if self.module._diff:
            result["diff"] = {
                "before": render_state(before.current, before.previous),
                "after": render_state(after.current, after.previous),
                "before_header": f"{self.directory} (TAG, REVERT)",
                "after_header": f"{self.directory} (TAG, REVERT)",
            }
        return result


def main() -> None:
    argument_spec = app_argument_spec()
    argument_spec.update(
        state=dict(type="str", default="deployed", choices=["deployed", "reverted", "restored"]),
        tag=dict(type="str"),
        previous=dict(type="str"),
        history_size=dict(type="int", default=10),
        deployer=dict(type="str"),
        result=dict(type="str"),
        migrations=dict(type="list", elements="str"),
        owner=dict(type="str"),
        group=dict(type="str"),
        mode=dict(type="raw", default="0644"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        settings = check_params(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc))
    try:
        result = ReleaseFiles(module, settings).run()
    except (MalformedFile, ReleaseError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
