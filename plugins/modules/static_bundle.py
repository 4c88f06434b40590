#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: static_bundle
short_description: Pack a release's static files from its image, for the nginx front
version_added: 0.1.0
description:
  - Reads the static files (for instance Django's C(STATIC_ROOT) after C(collectstatic)) of an
    image already in the target host's Docker engine, and writes them as a bundle, a plain tar
    file holding a manifest (every file's path, sha256, size and mtime) and the contents the
    receiving store does not have yet, each once, named by its sha256.
  - The files are read through the Docker Engine API (the C(docker) Python SDK); a container of
    the image is created, never started, its directory is archived (C(get_archive)) and the
    container is removed. Nothing is pulled; the image must be on the host (pull it first with
    M(dockyard.django.image)).
  - O(exclude) lists the contents the store already holds (from M(dockyard.django.static_store_info)),
    so a release whose files did not change sends only its manifest.
  - Symbolic links inside the directory are followed to the file they name inside it; links
    that leave the directory, and anything that is neither a file nor a directory, are left out
    and listed in RV(left_out).
  - The bundle goes to M(dockyard.django.static_store) on the front (it runs no Docker). A small
    one (O(inline_max)) comes back in the result (RV(content)) and goes on as the store's
    O(dockyard.django.static_store#module:content), with no file anywhere; a larger one is written to
    O(dest), and C(ansible.builtin.fetch) and C(ansible.builtin.copy) carry it through the controller.
options:
  repository:
    description:
      - The image repository, with its registry, without tag, for example C(registry:5000/demo).
    type: str
    required: true
  tag:
    description:
      - The release's tag.
    type: str
    required: true
  path:
    description:
      - The directory inside the image that holds the collected static files, for instance the
        app's C(STATIC_ROOT) (C(/app/staticfiles) in the demo image).
    type: str
    required: true
  dest:
    description:
      - Where to write the bundle on the host (a file; its directory is created, mode C(0700)).
        Written atomically; an existing file is replaced.
      - Not written when the bundle is returned in RV(content) instead (O(inline_max)).
    type: path
    required: true
  inline_max:
    description:
      - The largest bundle, in bytes, returned in RV(content) instead of written to O(dest). V(0)
        always writes the file.
      - A release whose files mostly did not change sends a bundle of a few kilobytes; returning it
        saves the round trips of a file carried through the controller. Module results and
        arguments are held in memory several times over, so keep this to a few megabytes.
      - The result is then as large as the bundle, and C(-v) prints it; give the task C(no_log)
        (and check for failure yourself) to keep it out of the output.
    type: int
    default: 0
  exclude:
    description:
      - sha256 digests of contents the receiving store already has; they are listed in the
        manifest but not put in the bundle.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reads the image and returns every figure, but writes no bundle.
  diff_mode:
    support: none
    description: The bundle is a transfer file, not state of the host; RV(files) and RV(sent_objects) say what it holds.
extends_documentation_fragment:
  - dockyard.django.attributes
requirements:
  - docker (Python SDK) >= 5.0
notes:
  - The bundle is a transient file; the task that copies it on removes it.
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Ask the front which contents it has
  dockyard.django.static_store_info:
    app: demo
    digests: true
  delegate_to: lb1
  register: front

- name: Pack the release's static files that the front lacks
  dockyard.django.static_bundle:
    repository: registry:5000/demo
    tag: build-43
    path: /app/staticfiles
    dest: /var/lib/dockyard/static-bundles/demo-build-43.tar
    exclude: "{{ front.digests }}"
  register: bundle
"""

RETURN = r"""
bundle:
  description: The bundle's path (not written in check mode, nor when returned in RV(content)).
  returned: always
  type: str
  sample: /var/lib/dockyard/static-bundles/demo-build-43.tar
content:
  description:
    - The bundle itself, base64-encoded, when it is at most O(inline_max) bytes; then no file is written.
    - For O(dockyard.django.static_store#module:content).
  returned: when the bundle is at most O(inline_max) bytes (not in check mode)
  type: str
  sample: dXN0YXIAMDAw...
image_id:
  description: The local id of the image read.
  returned: always
  type: str
  sample: sha256:5727b68afc8c0c1a5b7e0b3d7f4f2d1b9a3c6e5d4f3a2b1c0d9e8f7a6b5c4d3e
manifest_digest:
  description: The sha256 of the release's canonical manifest; equal static trees have equal digests.
  returned: always
  type: str
  sample: 0f3d1c9b0c7e4a0d2d7f5e2c4b1a3f6e8d9c0b1a2f3e4d5c6b7a8f9e0d1c2b3a
files:
  description: Files in the release's static tree.
  returned: always
  type: int
  sample: 784
objects:
  description: Distinct contents among them.
  returned: always
  type: int
  sample: 770
bytes:
  description: Total size of the files.
  returned: always
  type: int
  sample: 4612345
sent_objects:
  description: Contents put in the bundle (those not in O(exclude)).
  returned: always
  type: int
  sample: 3
sent_bytes:
  description: Their total size.
  returned: always
  type: int
  sample: 2304
left_out:
  description:
    - Paths left out (links leaving the directory, devices, FIFOs), with why.
    - Not called C(skipped), a key Ansible reads as "the task was skipped".
  returned: always
  type: list
  elements: str
  sample: ["vendor/shared.js: symbolic link to /usr/share/javascript/shared.js leaves the directory"]
"""

import base64
import hashlib
import io
import os
import shutil
import tarfile
import tempfile
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dockyard.django.plugins.module_utils._static import (
    BUNDLE_MANIFEST,
    BUNDLE_OBJECTS,
    FileEntry,
    check_digest,
    check_image_path,
    dump_manifest,
    manifest_digest,
    member_path,
    needed_objects,
    object_name,
    resolve_link,
)
from ansible_collections.dockyard.django.plugins.module_utils._validation import (
    ValidationError,
    check_repository,
    check_tag,
)

try:
    import docker
    from docker.errors import APIError, DockerException, ImageNotFound, NotFound
    from requests.exceptions import RequestException
except ImportError:
    DOCKER_IMPORT_ERROR: str | None = traceback.format_exc()
    docker = None
else:
    DOCKER_IMPORT_ERROR = None

CHUNK = 1 << 16
# Links may chain; more hops than this is a loop.
MAX_LINK_HOPS = 40


def make_client() -> Any:
    """The low-level Engine API client, configured like the docker CLI (DOCKER_HOST, ...)."""
    return docker.from_env(version="auto").api


def validate(params: dict[str, Any]) -> None:
    """Reject bad input before any Docker client exists, so nothing can change."""
    check_repository(params["repository"])
    check_tag(params["tag"])
    params["path"] = check_image_path(params["path"])
    if not os.path.isabs(params["dest"]):
        raise ValidationError(f"dest must be an absolute path, got {params['dest'][:80]!r}")
    if params["inline_max"] < 0:
        raise ValidationError(f"inline_max must be 0 or more bytes, got {params['inline_max']}")
    for index, digest in enumerate(params["exclude"]):
        check_digest(digest, f"exclude[{index}]")


class _ChunkReader(io.RawIOBase):
    """A file object over the chunks the Engine API streams, for tarfile's stream mode."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


class StaticBundle:
    """One release's static tree: read it from the image, compare with what the store has,
    then write what it lacks."""

    def __init__(self, module: AnsibleModule, client: Any, work: str) -> None:
        self.module = module
        self.client = client
        self.work = work  # a private temporary directory: spooled contents, named by digest
        self.reference = f"{module.params['repository']}:{module.params['tag']}"
        self.files: dict[str, FileEntry] = {}
        self.left_out: list[str] = []

    # -- reading -------------------------------------------------------------------------

    def image_id(self) -> str:
        try:
            return self.client.inspect_image(self.reference)["Id"]
        except (ImageNotFound, NotFound):
            self.module.fail_json(msg=f"image {self.reference} is not on this host: pull it first "
                                      "(dockyard.django.image); static_bundle never pulls")

    def read_tree(self, image_id: str) -> None:
        """Create a container of the image (never started), archive the directory, remove it."""
        path = self.module.params["path"]
        container = self.client.create_container(
            image=image_id, entrypoint=["/dockyard-static-bundle-never-runs"], network_disabled=True,
            labels={"dockyard.role": "static-bundle"})["Id"]
        try:
            try:
                # '<path>/.': the directory's content, even when the path is a symbolic link to it.
                stream, stat = self.client.get_archive(container, f"{path}/.")
            except NotFound:
                self.module.fail_json(msg=f"{path} does not exist in {self.reference} (the option path names "
                                          "the directory of the collected static files, e.g. STATIC_ROOT)")
            if not stat.get("mode", 0) & (1 << 31):
                self.module.fail_json(msg=f"{path} in {self.reference} is not a directory")
            self._read_archive(stream)
        finally:
            self.client.remove_container(container, force=True)

    def _read_archive(self, stream: Iterable[bytes]) -> None:
        links: dict[str, str] = {}
        hard: dict[str, str] = {}
        with tarfile.open(fileobj=io.BufferedReader(_ChunkReader(stream), CHUNK), mode="r|") as archive:
            for member in archive:
                try:
                    path = member_path(member.name)
                except ValidationError as exc:
                    self.module.fail_json(msg=f"unexpected archive from {self.reference}: {exc}")
                if path is None or member.isdir():
                    continue
                if member.isreg():
                    self.files[path] = self._spool(archive.extractfile(member), int(member.mtime))
                elif member.issym():
                    links[path] = member.linkname
                elif member.islnk():
                    hard[path] = member_path(member.linkname) or ""
                else:
                    self.left_out.append(f"{path}: not a regular file, directory or link")
        for path, target in hard.items():
            if target in self.files:
                self.files[path] = self.files[target]
            else:
                self.left_out.append(f"{path}: hard link to {target}, which is not in the directory")
        self._follow(links)

    def _follow(self, links: dict[str, str]) -> None:
        for path, target in sorted(links.items()):
            current, hops, why = path, 0, ""
            resolved: str | None = None
            while hops < MAX_LINK_HOPS:
                hops += 1
                inside = resolve_link(current, links[current])
                if inside is None:
                    why = f"symbolic link to {target} leaves the directory"
                    break
                if inside in self.files:
                    resolved = inside
                    break
                if inside not in links:
                    why = f"symbolic link to {target}, which names no file in the directory"
                    break
                current = inside
            else:
                why = "symbolic links loop"
            if resolved is not None:
                self.files[path] = self.files[resolved]
            else:
                self.left_out.append(f"{path}: {why}")

    def _spool(self, handle: Any, mtime: int) -> FileEntry:
        """Hash a file's content while writing it to the work directory, once per content."""
        digest = hashlib.sha256()
        size = 0
        fd, spool = tempfile.mkstemp(dir=self.work, prefix="spool.")
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        name = os.path.join(self.work, digest.hexdigest())
        if os.path.exists(name):
            os.unlink(spool)
        else:
            os.rename(spool, name)
        return FileEntry(digest.hexdigest(), size, mtime)

    # -- acting --------------------------------------------------------------------------

    def _pack(self, raw: Any, sent: dict[str, FileEntry]) -> None:
        """The bundle: the objects first, then the manifest."""
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as out:
            for digest in sorted(sent):
                out.add(os.path.join(self.work, digest), arcname=BUNDLE_OBJECTS + object_name(digest),
                        recursive=False, filter=_plain)
            manifest = dump_manifest(self.files).encode()
            info = tarfile.TarInfo(BUNDLE_MANIFEST)
            info.size = len(manifest)
            info.mode = 0o600
            out.addfile(info, io.BytesIO(manifest))

    def inline(self, sent: dict[str, FileEntry]) -> str | None:
        """The bundle, base64-encoded, when it is at most inline_max bytes; else None."""
        limit = self.module.params["inline_max"]
        # Each member takes a header block and its content rounded up to blocks; the manifest too.
        if sum(_blocks(entry.size) + 1 for entry in sent.values()) * tarfile.BLOCKSIZE > limit:
            return None
        raw = io.BytesIO()
        self._pack(raw, sent)
        if raw.tell() > limit:
            return None
        return base64.b64encode(raw.getvalue()).decode("ascii")

    def write(self, sent: dict[str, FileEntry]) -> None:
        """The bundle, written beside dest and renamed."""
        dest = self.module.params["dest"]
        directory = os.path.dirname(dest)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(dest)}.")
        try:
            with os.fdopen(fd, "wb") as raw:
                self._pack(raw, sent)
            os.chmod(temporary, 0o600)
            os.replace(temporary, dest)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def run(self) -> dict[str, Any]:
        image_id = self.image_id()
        self.read_tree(image_id)
        objects = needed_objects(self.files)
        exclude = set(self.module.params["exclude"])
        sent = {digest: entry for digest, entry in objects.items() if digest not in exclude}
        content = None
        if not self.module.check_mode:
            content = self.inline(sent)
            if content is None:
                self.write(sent)
        result: dict[str, Any] = {
            "changed": not self.module.check_mode,
            "bundle": self.module.params["dest"],
            "image_id": image_id,
            "manifest_digest": manifest_digest(self.files),
            "files": len(self.files),
            "objects": len(objects),
            "bytes": sum(entry.size for entry in self.files.values()),
            "sent_objects": len(sent),
            "sent_bytes": sum(entry.size for entry in sent.values()),
            "left_out": self.left_out,
        }
        if content is not None:
            result["content"] = content
        return result


def _blocks(size: int) -> int:
    """Tar blocks a member's content of this size takes."""
    return -(-size // tarfile.BLOCKSIZE)


def _plain(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Objects carry no owner, and one mode: the store decides both."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o644
    return info


def run(module: AnsibleModule) -> dict[str, Any]:
    if DOCKER_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("docker"), exception=DOCKER_IMPORT_ERROR)
    try:
        client = make_client()
    except DockerException as exc:
        module.fail_json(msg=f"cannot reach the Docker engine: {exc}")
    work = tempfile.mkdtemp(prefix="dockyard-static-")
    try:
        return StaticBundle(module, client, work).run()
    except APIError as exc:
        module.fail_json(msg=f"Docker engine error: {getattr(exc, 'explanation', None) or exc}")
    except (DockerException, RequestException, tarfile.TarError, OSError) as exc:
        module.fail_json(msg=f"cannot read the static files of {module.params['repository']}:"
                             f"{module.params['tag']}: {type(exc).__name__}: {exc}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    argument_spec: dict[str, Any] = {
        "repository": {"type": "str", "required": True},
        "tag": {"type": "str", "required": True},
        "path": {"type": "str", "required": True},
        "dest": {"type": "path", "required": True},
        "exclude": {"type": "list", "elements": "str", "default": []},
        "inline_max": {"type": "int", "default": 0},
    }
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        validate(module.params)
    except ValidationError as exc:
        module.fail_json(msg=str(exc), changed=False)
    module.exit_json(**run(module))


if __name__ == "__main__":
    main()
