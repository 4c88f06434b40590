#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: image
short_description: Pull, verify and retain the image tags of one repository on a Docker host
version_added: 0.1.0
description:
  - Manages the local tags of one image repository in the Docker engine of the target host,
    through the Docker Engine API (the C(docker) Python SDK), never the docker CLI.
  - V(present) makes sure C(<repository>:<tag>) is in the engine, pulling it when missing, with
    retries and exponential backoff on transient registry errors.
  - V(verified) asks the registry, through the daemon, whether the tag exists, without pulling
    it (a deploy's pre-flight). It tells a missing tag, refused credentials and an unreachable
    registry apart.
  - V(retained) removes the repository's local tags beyond the newest O(keep), never removing a
    protected tag, a tag used by any container (running or stopped), or a tag whose image a
    kept tag shares.
  - Registry credentials come from the Docker config on the host (C(~/.docker/config.json) of
    the remote user, or O(docker_config)); they never appear in results or messages.
options:
  repository:
    description:
      - The image repository, with its registry, without tag or digest, for example
        C(registry:5000/demo).
    type: str
    required: true
  tag:
    description:
      - The tag. Required for O(state=present) and O(state=verified); ignored by V(retained).
    type: str
  state:
    description:
      - V(present) pulls the tag when it is not in the engine.
      - V(verified) checks that the tag exists in the registry, without pulling.
      - V(retained) removes local tags of the repository beyond the newest O(keep).
    type: str
    choices: [present, verified, retained]
    default: present
  retries:
    description:
      - How many times a pull or registry check is retried after a transient failure
        (registry unreachable, timeouts, HTTP 429/5xx). A missing tag or refused credentials
        are never retried. V(0) tries once.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds before the first retry; each further retry waits twice as long, at most 60 seconds.
    type: float
    default: 2
  keep:
    description:
      - With O(state=retained), how many of the newest tags to keep, ordered by the image
        creation time. Each tag counts once, so an image with two tags of the repository fills
        two places. Must be at least 1.
    type: int
    default: 5
  protect:
    description:
      - With O(state=retained), tags never removed (for instance the TAG and REVERT of a deploy).
        Tags that are not present locally are ignored.
    type: list
    elements: str
    default: []
  app:
    description:
      - With O(state=retained), an app whose C(<root>/<app>/TAG) and C(REVERT) files
        (one line C(export TAG=<tag>)) name tags to protect as well. A missing file protects
        nothing; a malformed one makes the module fail before anything is removed.
      - The TAG and REVERT files of every other app under O(root) protect their tags too,
        because apps on one host may share a repository and one app's retention must never
        remove the image another app would roll back to.
    type: str
  docker_config:
    description:
      - A directory holding the C(config.json) to take registry credentials from, instead of
        the SDK's default (C($DOCKER_CONFIG) or C(~/.docker) of the remote user).
      - When that directory has no C(config.json), no credentials are sent.
    type: path
attributes:
  check_mode:
    support: full
    description: Pulls and removes nothing, and reports what it would do.
    details: V(present) reports the pull it would make; V(retained) reports what it would remove; V(verified) only reads.
  diff_mode:
    support: full
    description: Shows the repository's local tags before and after.
    details: For V(present) and V(retained); V(verified) changes nothing to show.
requirements:
  - docker (Python SDK) >= 5.0
notes:
  - Retention keeps every tag of an image that has a kept tag, so an image a protected or
    in-use tag shares is never removed nor untagged.
  - Tags of other repositories on the same image are left alone; the image then stays.
extends_documentation_fragment:
  - dockyard.django.app.root
  - dockyard.django.attributes
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Check that the release exists in the registry before touching any host
  dockyard.django.image:
    repository: registry:5000/demo
    tag: "{{ release_tag }}"
    state: verified

- name: Pull the release
  dockyard.django.image:
    repository: registry:5000/demo
    tag: "{{ release_tag }}"
    retries: 5
    retry_delay: 3

- name: Keep the five newest tags, the current and the previous release, and whatever runs
  dockyard.django.image:
    repository: registry:5000/demo
    state: retained
    keep: 5
    app: demo
    protect:
      - "{{ release_tag }}"
"""

RETURN = r"""
image_id:
  description: The local image id of C(<repository>:<tag>); null in check mode before a pull.
  returned: state is present
  type: str
  sample: sha256:5727b68afc8c0c1a5b7e0b3d7f4f2d1b9a3c6e5d4f3a2b1c0d9e8f7a6b5c4d3e
repo_digest:
  description: The C(<repository>@sha256:...) the image is known by in the registry; null for an image never pushed or pulled.
  returned: state is present
  type: str
  sample: registry:5000/demo@sha256:550b9a54afbf201803edf7a9994de20cc4ab1fa34cbda3092a0bed4a4a0b00c4
pulled:
  description: Whether the tag was pulled (in check mode, whether it would be).
  returned: state is present
  type: bool
  sample: true
attempts:
  description: How many registry requests were made (0 when none was needed).
  returned: state is present or verified
  type: int
  sample: 1
digest:
  description: The manifest digest the registry holds for the tag.
  returned: state is verified
  type: str
  sample: sha256:550b9a54afbf201803edf7a9994de20cc4ab1fa34cbda3092a0bed4a4a0b00c4
removed:
  description: The tags removed (in check mode, that would be removed), newest first.
  returned: state is retained
  type: list
  elements: str
  sample: [build-40, build-39]
kept:
  description: The local tags kept, newest first.
  returned: state is retained
  type: list
  elements: str
  sample: [build-45, build-44, build-43, build-42, build-41]
protected:
  description: The tags protected, from O(protect) and the app's TAG and REVERT files.
  returned: state is retained
  type: list
  elements: str
  sample: [build-45, build-44]
"""

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._app import DEFAULT_ROOT
from ansible_collections.dockyard.django.plugins.module_utils._docker import (
    APIError,
    DockerException,
    EngineError,
    ImageNotFound,
    NotFound,
    RequestException,
    connect,
    docker_auth,
    engine_error,
    engine_failure,
    pull,
)
from ansible_collections.dockyard.django.plugins.module_utils._image import (
    RETRYABLE,
    LocalTag,
    RetriesExhausted,
    backoff_delays,
    classify_error,
    describe_error,
    parse_created,
    registry_of,
    repo_digest,
    select_retention,
    tag_lines,
    tags_of,
    with_retries,
)
from ansible_collections.dockyard.django.plugins.module_utils._release import MalformedFile, parse_tag_file
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_app,
    check_repository,
    check_tag,
)

RELEASE_FILES = ("TAG", "REVERT")


def validate(params: dict[str, Any]) -> None:
    """Reject bad input before any Docker client exists, so nothing can change."""
    check_repository(params["repository"])
    state = params["state"]
    if params["tag"] is not None or state in ("present", "verified"):
        if params["tag"] is None:
            raise ValidationError(f"tag is required with state={state}")
        check_tag(params["tag"])
    if params["keep"] < 1:
        raise ValidationError(f"keep must be at least 1, got {params['keep']}")
    if params["retries"] < 0:
        raise ValidationError(f"retries must be at least 0, got {params['retries']}")
    if params["retry_delay"] < 0:
        raise ValidationError(f"retry_delay must be at least 0, got {params['retry_delay']}")
    for index, tag in enumerate(params["protect"]):
        check_tag(tag, f"protect[{index}]")
    if params["app"] is not None:
        check_app(params["app"])


class ImageTags:
    """The local tags of one repository in one engine: read, compare, then act."""

    def __init__(self, module: AnsibleModule, client: Any) -> None:
        self.module = module
        self.client = client
        self.repository: str = module.params["repository"]
        self.tag: str | None = module.params["tag"]
        self.auth_config = self._auth_config()

    # -- reading -------------------------------------------------------------------------

    def _auth_config(self) -> dict[str, Any] | None:
        """Explicit credentials only when docker_config is given; else the SDK's defaults.

        The SDK silently falls back to ~/.docker when a config path does not exist, so a
        missing config.json is read as 'no credentials' here rather than passed to it.
        """
        directory = self.module.params["docker_config"]
        if directory is None:
            return None
        path = os.path.join(directory, "config.json")
        if not os.path.isfile(path):
            return {}
        try:
            config = docker_auth.load_config(config_path=path)
            found = config.resolve_authconfig(registry_of(self.repository))
        except (DockerException, OSError, ValueError) as exc:
            self.module.fail_json(msg=f"cannot read the Docker config {path}: {type(exc).__name__}")
        return dict(found) if found else {}

    def inspect(self, reference: str) -> dict[str, Any] | None:
        try:
            return self.client.inspect_image(reference)
        except (ImageNotFound, NotFound):
            return None

    def local_tags(self) -> list[LocalTag]:
        """Every local tag of the repository, with its image's precise creation time."""
        found: list[LocalTag] = []
        for image in self.client.images(name=self.repository):
            tags = tags_of(image.get("RepoTags"), self.repository)
            if not tags:
                continue
            # The listing rounds to seconds; the inspect time orders builds made in one second.
            details = self.inspect(image["Id"]) or {}
            created = parse_created(details.get("Created", image.get("Created", 0)))
            found.extend(LocalTag(tag, image["Id"], created) for tag in tags)
        return found

    def containers_usage(self) -> tuple[set[str], set[str]]:
        """Image ids and tags of this repository used by any container, running or stopped."""
        ids: set[str] = set()
        tags: set[str] = set()
        for container in self.client.containers(all=True):
            ids.add(container.get("ImageID", ""))
            tags.update(tags_of([container.get("Image", "")], self.repository))
        ids.discard("")
        return ids, tags

    def release_tags(self) -> list[str]:
        """Tags named by the TAG and REVERT files of the app and of every other app under
        root (apps may share a repository); fails on a malformed one."""
        app = self.module.params["app"]
        if app is None:
            return []
        root = self.module.params["root"]
        try:
            apps = sorted({app} | {entry.name for entry in os.scandir(root) if entry.is_dir()})
        except FileNotFoundError:
            apps = [app]
        tags: list[str] = []
        for path in (os.path.join(root, name, release) for name in apps for release in RELEASE_FILES):
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read(4096)
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError) as exc:
                self.module.fail_json(msg=f"cannot read {path}: {type(exc).__name__}")
            try:
                tags.append(parse_tag_file(text, path))
            except MalformedFile as exc:
                self.module.fail_json(msg=f"{exc}; nothing was removed")
        return tags

    # -- registry requests ---------------------------------------------------------------

    def _retried(self, action: Any) -> tuple[Any, int]:
        delays = backoff_delays(self.module.params["retries"], self.module.params["retry_delay"])
        try:
            return with_retries(action, delays, self._retryable)
        except RetriesExhausted as exc:
            error = exc.error
            if not isinstance(error, EngineError):
                raise error from None
            kind = classify_error(error.status, error.message)
            msg = describe_error(kind, self.repository, self.tag or "", error.message)
            self.module.fail_json(msg=msg, error_kind=kind, attempts=exc.attempts, changed=False)

    @staticmethod
    def _retryable(exc: BaseException) -> bool:
        return isinstance(exc, EngineError) and classify_error(exc.status, exc.message) in RETRYABLE

    def _pull_once(self) -> None:
        pull(self.client, self.repository, self.tag or "", self.auth_config)

    def _distribution_once(self) -> dict[str, Any]:
        try:
            return self.client.inspect_distribution(f"{self.repository}:{self.tag}", auth_config=self.auth_config)
        except APIError as exc:
            raise engine_error(exc) from exc

    # -- states --------------------------------------------------------------------------

    def present(self) -> dict[str, Any]:
        reference = f"{self.repository}:{self.tag}"
        before = self._tag_names()
        image = self.inspect(reference)
        attempts = 0
        if image is None and not self.module.check_mode:
            _result, attempts = self._retried(self._pull_once)
            image = self.inspect(reference)
            if image is None:
                self.module.fail_json(msg=f"pulled {reference} but the engine does not list it", attempts=attempts)
        pulled = attempts > 0 or (image is None and self.module.check_mode)
        after = before if not pulled else sorted(set(before) | {self.tag})
        result: dict[str, Any] = {
            "changed": pulled,
            "pulled": pulled,
            "attempts": attempts,
            "image_id": image["Id"] if image else None,
            "repo_digest": repo_digest(image.get("RepoDigests", []), self.repository) if image else None,
        }
        if self.module._diff:
            result["diff"] = self._diff(before, after)
        return result

    def verified(self) -> dict[str, Any]:
        data, attempts = self._retried(self._distribution_once)
        digest = (data.get("Descriptor") or {}).get("digest")
        if not digest:
            self.module.fail_json(msg=f"registry answered for {self.repository}:{self.tag} without a digest",
                                  attempts=attempts)
        return {"changed": False, "digest": digest, "attempts": attempts}

    def retained(self) -> dict[str, Any]:
        protected = sorted(set(self.module.params["protect"]) | set(self.release_tags()))
        tags = self.local_tags()
        used_ids, used_tags = self.containers_usage()
        selection = select_retention(tags, self.module.params["keep"], protected, used_ids, used_tags)
        before = sorted({item.tag for item in tags})
        if not self.module.check_mode:
            for tag in selection.removed:
                self._remove(tag)
        result: dict[str, Any] = {
            "changed": bool(selection.removed),
            "removed": selection.removed,
            "kept": selection.kept,
            "protected": protected,
        }
        if self.module._diff:
            result["diff"] = self._diff(before, sorted(selection.kept))
        return result

    def _remove(self, tag: str) -> None:
        reference = f"{self.repository}:{tag}"
        try:
            # Not forced: a container created meanwhile makes the daemon refuse, as it should.
            self.client.remove_image(reference, force=False, noprune=False)
        except (ImageNotFound, NotFound):
            pass
        except APIError as exc:
            self.module.fail_json(msg=f"cannot remove {reference}: {engine_error(exc).message}")

    # -- helpers -------------------------------------------------------------------------

    def _tag_names(self) -> list[str]:
        return sorted({item.tag for item in self.local_tags()})

    def _diff(self, before: list[str], after: list[str]) -> dict[str, str]:
        header = f"local tags of {self.repository}"
        return {"before": tag_lines(before), "after": tag_lines(after),
                "before_header": header, "after_header": header}


def run(module: AnsibleModule) -> dict[str, Any]:
    tags = ImageTags(module, connect(module))
    state = module.params["state"]
    try:
        if state == "present":
            return tags.present()
        if state == "verified":
            return tags.verified()
        return tags.retained()
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=engine_failure(exc))


def main() -> None:
    argument_spec: dict[str, Any] = {
        "repository": {"type": "str", "required": True},
        "tag": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "verified", "retained"], "default": "present"},
        "retries": {"type": "int", "default": 3},
        "retry_delay": {"type": "float", "default": 2.0},
        "keep": {"type": "int", "default": 5},
        "protect": {"type": "list", "elements": "str", "default": []},
        "app": {"type": "str"},
        "root": {"type": "path", "default": DEFAULT_ROOT},
        "docker_config": {"type": "path"},
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        validate(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), changed=False)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
