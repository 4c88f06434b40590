#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: static_store
short_description: Keep the static files of an app's releases on the nginx front, and the union it serves
version_added: 0.1.0
description:
  - Keeps, on a load balancer, the static files of an app's releases in a content-addressed
    store under C(<root>/<app>/), with each distinct content once (named by its sha256), each
    release's manifest, and the tree nginx serves, C(<root>/<app>/live/), made of hard links to
    the stored contents. Files shared between releases take their space once.
  - V(present) publishes a release from a bundle of M(dockyard.django.static_bundle); it checks
    every content against its sha256, stores the ones missing and records the release's
    manifest. The same release with the same files again changes nothing. When the release is
    one the front serves, the served tree is rebuilt with its new files.
  - V(serving) makes the served tree the union of O(releases), the first named winning for a
    path several have (put the release going live first, so that for names that are not
    hashed the newest wins). The new tree is built beside the live one and swapped in with one rename;
    nginx never sees half a tree. Every release named must have been published.
  - V(retained) removes the releases not in O(keep) (never one the front serves) and the
    contents no remaining release names.
  - V(absent) removes the app's whole store (the app serves its static files itself).
  - Runs on the front, which needs no Docker; the bundle reaches it through the controller, as
    a file (O(bundle)) or in the task's arguments (O(content)).
options:
  app:
    description:
      - The app's name; its store is C(<root>/<app>).
    type: str
    required: true
  root:
    description:
      - The directory holding one store per app. nginx must be able to read it.
    type: path
    default: /var/lib/dockyard/static
  state:
    description:
      - What to make true; see the description.
    type: str
    choices: [present, serving, retained, absent]
    default: present
  release:
    description:
      - With O(state=present), the release (image tag) the bundle holds.
    type: str
  bundle:
    description:
      - With O(state=present), the path of the bundle on the front.
      - Exactly one of O(bundle) and O(content) is required with O(state=present).
    type: path
  content:
    description:
      - With O(state=present), the bundle itself, base64-encoded, as M(dockyard.django.static_bundle)
        returns a small one (its RV(dockyard.django.static_bundle#module:content)). No file needs to
        reach the front first.
      - Kept out of the module's logs and of the task's output, as a secret would be (it is not
        one, but it is large).
    type: str
  remove_bundle:
    description:
      - With O(state=present), remove the bundle once it is published (not in check mode).
    type: bool
    default: true
  releases:
    description:
      - With O(state=serving), the releases whose files the front serves, in precedence order
        (first wins). An empty list serves none (requests go to the app).
      - With O(state=present), optional; once the release is published, serve these as
        O(state=serving) does, in the same run (one call instead of two). Each must be published
        already or be O(release); else nothing changes and the module fails naming it.
    type: list
    elements: str
  unpublished:
    description:
      - With O(state=serving), what to do when a release of O(releases) is not published. V(fail)
        changes nothing and fails naming it; V(skip) serves the others (a revert or a finish
        that must not fail on a release that never got its files to the front).
    type: str
    choices: [fail, skip]
    default: fail
  keep:
    description:
      - With O(state=retained), the releases to keep besides those served (for instance the
        tags whose images the web hosts retain, TAG and REVERT among them).
      - With O(state=serving), optional; once the union is served, remove the releases not in
        O(keep) and not served, as O(state=retained) does (one call instead of two).
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Reads the store (and the bundle) and reports what would change; changes nothing, removes no bundle.
  diff_mode:
    support: full
    description: The published releases and the served releases, before and after.
extends_documentation_fragment:
  - dockyard.django.attributes
notes:
  - nginx serves C(<root>/<app>/live/) (the proxy role's C(static) site option). A file missing
    there is passed to the app, so a front with no store yet still works.
  - Contents keep the mtime of the first release that brought them; nginx's C(Last-Modified)
    and C(ETag) come from it.
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Publish the release's static files on the front
  dockyard.django.static_store:
    app: demo
    release: build-43
    bundle: /var/lib/dockyard/static-bundles/demo-build-43.tar

- name: Publish a small bundle that static_bundle returned, with no file
  dockyard.django.static_store:
    app: demo
    release: build-43
    content: "{{ packed.content }}"
  when: packed.content is defined

- name: Publish the release and serve it before the releases still running, in one call
  dockyard.django.static_store:
    app: demo
    release: build-43
    bundle: /var/lib/dockyard/static-bundles/demo-build-43.tar
    releases: [build-43, build-42]

- name: Serve the new release's files, and the files of the releases still running
  dockyard.django.static_store:
    app: demo
    state: serving
    releases: [build-43, build-42, build-41]

- name: Serve the new release and the one before it, and forget the releases whose images are gone, in one call
  dockyard.django.static_store:
    app: demo
    state: serving
    releases: [build-43, build-42]
    keep: [build-43, build-42, build-41]

- name: Forget the releases whose images are gone
  dockyard.django.static_store:
    app: demo
    state: retained
    keep: [build-43, build-42]
"""

RETURN = r"""
releases:
  description: The releases published in the store after the run, sorted.
  returned: always
  type: list
  elements: str
  sample: [build-41, build-42, build-43]
serving:
  description: The releases the served tree is the union of, in precedence order.
  returned: always
  type: list
  elements: str
  sample: [build-43, build-42]
generation:
  description: The served tree's generation (C(<root>/<app>/union/<generation>)); null when none is live.
  returned: always
  type: str
  sample: g7
not_published:
  description:
    - With O(unpublished=skip), the releases left out because they are not published.
    - Not called C(skipped), a key Ansible reads as "the task was skipped".
  returned: state is serving
  type: list
  elements: str
  sample: []
files:
  description: Files in the release (V(present)) or in the served tree (V(serving)).
  returned: state is present or serving
  type: int
  sample: 784
added_objects:
  description: Contents stored by this run (in check mode, that would be).
  returned: state is present
  type: int
  sample: 3
added_bytes:
  description: Their total size.
  returned: state is present
  type: int
  sample: 2304
removed:
  description: Releases removed (in check mode, that would be).
  returned: state is retained, or serving with keep
  type: list
  elements: str
  sample: [build-39, build-40]
removed_objects:
  description: Contents removed because no kept release names them.
  returned: state is retained, or serving with keep
  type: int
  sample: 12
freed_bytes:
  description: Their total size.
  returned: state is retained, or serving with keep
  type: int
  sample: 40960
"""

import base64
import binascii
import os
import tempfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._static import (
    FileEntry,
    manifest_digest,
    needed_objects,
    release_lines,
    select_pruning,
    union,
)
from ansible_collections.dockyard.django.plugins.module_utils._static_store import Store, StoreError
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_app,
    check_tag,
)

REQUIRED = {"present": ("release",), "serving": ("releases",), "retained": ("keep",), "absent": ()}
ACCEPTED = {"present": {"release", "bundle", "content", "remove_bundle", "releases"},
            "serving": {"releases", "unpublished", "keep"},
            "retained": {"keep"},
            "absent": set()}
STATE_OPTIONS = {"release", "bundle", "content", "releases", "keep"}


def decode_content(content: str) -> bytes:
    """The bundle given as content (base64)."""
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("content is not base64 (it takes static_bundle's content as returned)") from None


def validate(params: dict[str, Any]) -> None:
    """Reject bad input before anything is read or written."""
    check_app(params["app"])
    if not os.path.isabs(params["root"]):
        raise ValidationError(f"root must be an absolute path, got {params['root'][:80]!r}")
    state = params["state"]
    for name in REQUIRED[state]:
        if params[name] is None:
            raise ValidationError(f"{name} is required with state={state}")
    for name in sorted(STATE_OPTIONS - ACCEPTED[state]):
        if params[name] is not None:
            raise ValidationError(f"{name} is not accepted with state={state}")
    if state == "present" and (params["bundle"] is None) == (params["content"] is None):
        raise ValidationError("state=present takes exactly one of bundle (a file on the front) and content "
                              "(the bundle itself, base64)")
    if params["content"] is not None:
        decode_content(params["content"])
    if params["release"] is not None:
        check_tag(params["release"], "release")
    for name in ("releases", "keep"):
        for index, release in enumerate(params[name] or []):
            check_tag(release, f"{name}[{index}]")
    if params["releases"] is not None and len(set(params["releases"])) != len(params["releases"]):
        raise ValidationError(f"releases names a release twice: {params['releases']}")


class StaticStore:
    """One app's store on the front: read, compare, then act (every write guarded by check mode)."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.params = module.params
        self.store = Store(self.params["root"], self.params["app"])
        self.check = module.check_mode

    def _result(self, changed: bool, before: dict[str, list[str]], after_releases: list[str],
                after_serving: list[str], **extra: Any) -> dict[str, Any]:
        # The generation live now (in check mode: still the one before the run).
        generation = self.store.serving()[1]
        live = generation if generation is not None and self.store.live_generation() == generation else None
        result: dict[str, Any] = {"changed": changed, "releases": after_releases, "serving": after_serving,
                                  "generation": live}
        result.update(extra)
        if self.module._diff:
            result["diff"] = {
                "before": f"published:\n{release_lines(before['releases'])}serving:\n{release_lines(before['serving'])}",
                "after": f"published:\n{release_lines(after_releases)}serving:\n{release_lines(after_serving)}",
                "before_header": f"static files of {self.params['app']}",
                "after_header": f"static files of {self.params['app']}",
            }
        return result

    def _before(self) -> dict[str, list[str]]:
        return {"releases": self.store.releases(), "serving": self.store.serving()[0]}

    def _union_of(self, releases: list[str]) -> dict[str, FileEntry]:
        manifests = []
        for release in releases:
            files = self.store.manifest(release)
            if files is None:
                raise StoreError(f"release {release} is not published in {self.store.base}: publish it first "
                                 "(state=present)")
            manifests.append(files)
        return union(manifests)

    def _serve(self, releases: list[str]) -> tuple[str, int]:
        files = self._union_of(releases)
        generation = self.store.build_generation(files)
        self.store.switch(generation, releases)
        return generation, len(files)

    # -- states --------------------------------------------------------------------------

    def present(self) -> dict[str, Any]:
        if self.params["content"] is None:
            return self._present(self.params["bundle"], self.params["remove_bundle"])
        # The bundle given in the arguments: a private file for as long as the run reads it.
        fd, bundle = tempfile.mkstemp(prefix="dockyard-static-bundle-", suffix=".tar")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(decode_content(self.params["content"]))
            return self._present(bundle, remove_bundle=False)
        finally:
            os.unlink(bundle)

    def _present(self, bundle: str, remove_bundle: bool) -> dict[str, Any]:
        release = self.params["release"]
        before = self._before()
        files, carried = self.store.read_bundle(bundle)
        missing = self.store.missing_objects(files, carried)
        if missing:
            example = next(path for path, entry in sorted(files.items()) if entry.sha256 in missing)
            raise StoreError(f"bundle {bundle} lacks {len(missing)} content(s) the store does not have "
                             f"(for instance {example}): was it made with exclude from another store?")
        # Serve these afterwards (releases), or keep serving what is served.
        wanted_serving = self.params["releases"]
        serving = before["serving"] if wanted_serving is None else wanted_serving
        unknown = [name for name in serving if name != release and name not in before["releases"]]
        if unknown:
            raise StoreError(f"release {unknown[0]} is not published in {self.store.base}: publish it first "
                             "(state=present)")
        current = self.store.manifest(release)
        same = current is not None and manifest_digest(current) == manifest_digest(files)
        wanted = self.store.to_ingest(files, carried)
        published = not same or bool(wanted)
        # A served release whose files changed (a tag pushed again) is served with its new files.
        live_serving, generation = self.store.serving()
        reserve = (not same and release in serving) or (
            wanted_serving is not None and (live_serving != serving or generation is None
                                            or self.store.live_generation() != generation))
        if published and not self.check:
            added_bytes = self.store.ingest(bundle, wanted)
            self.store.write_release(release, files)
        else:
            added_bytes = sum(entry.size for entry in wanted.values())
        if reserve and not self.check:
            self._serve(serving)
        if remove_bundle and not self.check:
            os.unlink(bundle)
        after_releases = sorted(set(before["releases"]) | {release})
        return self._result(published or reserve, before, after_releases, serving, files=len(files),
                            added_objects=len(wanted), added_bytes=added_bytes)

    def serving(self) -> dict[str, Any]:
        before = self._before()
        releases = self.params["releases"]
        skipped = [release for release in releases if release not in before["releases"]]
        if self.params["unpublished"] == "skip":
            releases = [release for release in releases if release not in skipped]
        files = self._union_of(releases)  # fails before any change when one is not published
        current, generation = self.store.serving()
        changed = current != releases or generation is None or self.store.live_generation() != generation
        if changed and not self.check:
            self._serve(releases)
        after_releases, pruned = before["releases"], {}
        if self.params["keep"] is not None:
            # Against the union served now: a release served before and not now may go.
            pruned_any, after_releases, pruned = self._prune(before["releases"], self.params["keep"], releases)
            changed = changed or pruned_any
        return self._result(changed, before, after_releases, releases, files=len(files),
                            not_published=skipped if self.params["unpublished"] == "skip" else [], **pruned)

    def _prune(self, releases: list[str], keep: list[str], serving: list[str]) -> tuple[bool, list[str], dict[str, Any]]:
        """Remove the releases not kept nor served, and the contents no remaining one names."""
        pruning = select_pruning(releases, keep, serving)
        referenced: set[str] = set()
        for release in pruning.kept:
            referenced.update(needed_objects(self.store.manifest(release) or {}))
        stored = self.store.object_digests()
        garbage = {digest: size for digest, size in stored.items() if digest not in referenced}
        changed = bool(pruning.removed or garbage)
        removed_objects, freed = len(garbage), sum(garbage.values())
        if changed and not self.check:
            for release in pruning.removed:
                self.store.remove_release(release)
            removed_objects, freed = self.store.collect_garbage(referenced)
        return changed, pruning.kept, {"removed": pruning.removed, "removed_objects": removed_objects,
                                       "freed_bytes": freed}

    def retained(self) -> dict[str, Any]:
        before = self._before()
        changed, kept, pruned = self._prune(before["releases"], self.params["keep"], before["serving"])
        return self._result(changed, before, kept, before["serving"], **pruned)

    def absent(self) -> dict[str, Any]:
        before = self._before()
        changed = self.store.exists()
        if changed and not self.check:
            self.store.remove_all()
        return self._result(changed, before, [], [])

    def run(self) -> dict[str, Any]:
        return getattr(self, self.params["state"])()


def main() -> None:
    argument_spec: dict[str, Any] = {
        "app": {"type": "str", "required": True},
        "root": {"type": "path", "default": "/var/lib/dockyard/static"},
        "state": {"type": "str", "choices": ["present", "serving", "retained", "absent"], "default": "present"},
        "release": {"type": "str"},
        "bundle": {"type": "path"},
        "content": {"type": "str", "no_log": True},
        "remove_bundle": {"type": "bool", "default": True},
        "releases": {"type": "list", "elements": "str"},
        "keep": {"type": "list", "elements": "str"},
        "unpublished": {"type": "str", "choices": ["fail", "skip"], "default": "fail"},
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        validate(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), changed=False)
    try:
        result = StaticStore(module).run()
    except StoreError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"static store of {module.params['app']}: {type(exc).__name__}: {exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
