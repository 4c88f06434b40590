#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nginx_upstream
short_description: Point web hosts of one nginx site at their addresses and ports, validated and reloaded once
version_added: 0.3.0
description:
  - Writes the upstream files of web hosts of one site on an nginx front (C(<dir>/<host>.conf),
    one C(server) line each), checks the whole configuration once with O(validate), puts every
    previous file back if nginx refuses it, then runs O(reload) once. Everything a rolling deploy's
    switch does on a front for a batch of web hosts, in one round trip and one reload.
  - For each server, V(present) points the host at its address and port; V(down) keeps the line,
    marked C(down) (address and port default to the file's); V(absent) removes the file.
  - The same values again change nothing and do not reload.
  - O(dir) must exist (the proxy role creates it for every site it configures).
  - Used by the C(upstream_set) entry point of the C(dockyard.django.proxy) role, which fills in
    the paths and timings of its variables.
options:
  dir:
    description:
      - The site's directory of upstream files, C(<site dir>/upstream.d).
    type: path
    required: true
  servers:
    description:
      - The web hosts to set; hosts of the site not named are left as they are.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The web host; names its file. Letters, digits, C(.), C(_) and C(-).
        type: str
        required: true
      state:
        description: What to make true; see the description.
        type: str
        choices: [present, down, absent]
        default: present
      address:
        description: The host's address (a name, IPv4 or IPv6). Required for V(present).
        type: str
      port:
        description: The host's port. Required for V(present).
        type: int
  max_fails:
    description:
      - nginx's C(max_fails) for every server.
    type: int
    default: 1
  fail_timeout:
    description:
      - nginx's C(fail_timeout) for every server (an nginx time, V(10s)).
    type: str
    default: 10s
  header:
    description:
      - Comment lines written above each server line (the role passes the C(ansible_managed) comment).
    type: str
    default: ""
  validate:
    description:
      - The command that checks the whole configuration after the files are written; every previous
        file is put back when it fails. Empty list, no check.
    type: list
    elements: str
    default: [nginx, -t]
  reload:
    description:
      - The command run once after a change, when the configuration was accepted. Empty list, no reload.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports which files would change, and neither writes, validates nor reloads.
  diff_mode:
    support: full
    description: Shows each changed file before and after.
extends_documentation_fragment:
  - dockyard.django.attributes
seealso:
  - module: dockyard.django.web_slot
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Point web1 and web2 of shop at port 8002, then reload nginx once and wait for its old workers
  dockyard.django.nginx_upstream:
    dir: /etc/nginx/dockyard/shop/upstream.d
    servers:
      - {host: web1, address: 10.0.0.11, port: 8002}
      - {host: web2, address: 10.0.0.12, port: 8002}
    reload: [/usr/local/sbin/dockyard-nginx-reload, "90"]

- name: Take web1 out of shop (its line stays, marked down)
  dockyard.django.nginx_upstream:
    dir: /etc/nginx/dockyard/shop/upstream.d
    servers:
      - {host: web1, state: down}
    reload: [/usr/local/sbin/dockyard-nginx-reload, "90"]
"""

RETURN = r"""
servers:
  description: Each host's server line now; empty for a host whose file was removed.
  returned: always
  type: dict
  sample: {web1: "server 10.0.0.11:8002 max_fails=1 fail_timeout=10s;"}
reloaded:
  description: Whether O(reload) ran.
  returned: always
  type: bool
"""

import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dockyard.django.plugins.module_utils._release import atomic_write

# The address and port of an upstream file's server line (IPv6 in brackets).
SERVER_LINE = re.compile(r"^server\s+(\[[^\]]+\]|[^\s:]+):([0-9]+)\s", re.MULTILINE)
NGINX_TIME = re.compile(r"^[0-9]+(ms|s|m|h|d|w|M|y)?$")
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class UpstreamError(Exception):
    """An input or a state of the front that this module refuses, with a message for the operator."""


def parse_server(text: str) -> tuple[str, int] | None:
    """The address (without IPv6 brackets) and port of a file's server line, or None."""
    match = SERVER_LINE.search(text)
    if match is None:
        return None
    return match.group(1).strip("[]"), int(match.group(2))


def format_server(address: str, port: int, max_fails: int, fail_timeout: str, down: bool) -> str:
    """nginx's server line for one host; an IPv6 address goes in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"server {host}:{port} max_fails={max_fails} fail_timeout={fail_timeout}{' down' if down else ''};"


def render(header: str, server: str) -> str:
    """The file: the header's lines, then the server line."""
    return (f"{header.rstrip()}\n" if header.strip() else "") + f"{server}\n"


def check_common(params: dict[str, Any]) -> None:
    if not NGINX_TIME.match(params["fail_timeout"]):
        raise UpstreamError(f"fail_timeout must be an nginx time such as 10s, not {params['fail_timeout']!r}")
    if params["max_fails"] < 0:
        raise UpstreamError(f"max_fails must be 0 or more, not {params['max_fails']}")
    hosts = [server["host"] for server in params["servers"]]
    for host in hosts:
        if not HOST_NAME.match(host):
            raise UpstreamError(f"servers: host must be a host name (letters, digits, '.', '_', '-'), not {host!r}")
    if len(set(hosts)) != len(hosts):
        raise UpstreamError("servers: each host may be named once")
    if not hosts:
        raise UpstreamError("servers: name at least one host")


def desired_server(params: dict[str, Any], server: dict[str, Any], path: str, current: str | None) -> str | None:
    """The server line to write for one entry of ``servers``, or None to remove its file."""
    state, host = server["state"], server["host"]
    if state == "absent":
        return None
    address, port = server["address"], server["port"]
    if state == "down" and (not address or port is None):
        known = parse_server(current or "")
        if known is None:
            raise UpstreamError(f"{path} does not exist or names no server: to mark {host} down, give address and port")
        address, port = address or known[0], port if port is not None else known[1]
    if not address or port is None:
        raise UpstreamError(f"servers: {host} with state=present needs address and port")
    if re.search(r"[\s;{}]", address):
        raise UpstreamError(f"servers: {host}'s address must be a host name or an IP address, not {address!r}")
    if not 1 <= port <= 65535:
        raise UpstreamError(f"servers: {host}'s port must be 1-65535, not {port}")
    return format_server(address, port, params["max_fails"], params["fail_timeout"], state == "down")


class Upstreams:
    """Reads the hosts' upstream files, compares them with the wanted lines, then writes, validates once and reloads once."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.p = module.params
        self.dir: str = self.p["dir"]

    def path(self, host: str) -> str:
        return os.path.join(self.dir, f"{host}.conf")

    def read(self, path: str) -> str | None:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    @staticmethod
    def put(path: str, text: str | None) -> None:
        if text is None:
            if os.path.lexists(path):
                os.unlink(path)
        else:
            atomic_write(path, text, lambda tmp: os.chmod(tmp, 0o644))

    def _run(self, argv: list[str], what: str) -> str | None:
        """Run a command; its error output when it failed, else None."""
        rc, out, err = self.module.run_command(argv)
        if rc == 0:
            return None
        return f"{what} ({' '.join(argv)}) exited {rc}: {(err or out).strip()[-600:] or 'no output'}"

    def run(self) -> dict[str, Any]:
        check_common(self.p)
        if not os.path.isdir(self.dir):
            raise UpstreamError(
                f"{self.dir} does not exist: the site is not configured here "
                "(run the proxy role with it in proxy_sites first)"
            )
        # Every file is read and every line settled before anything is written.
        plan: list[tuple[str, str | None, str | None]] = []
        lines: dict[str, str] = {}
        for server in self.p["servers"]:
            path = self.path(server["host"])
            before = self.read(path)
            line = desired_server(self.p, server, path, before)
            lines[server["host"]] = line or ""
            plan.append((path, before, None if line is None else render(self.p["header"], line)))
        changes = [(path, before, after) for path, before, after in plan if before != after]
        result: dict[str, Any] = {
            "changed": bool(changes),
            "servers": lines,
            "reloaded": False,
            "diff": [{"before": before or "", "after": after or "", "before_header": path, "after_header": path}
                     for path, before, after in changes],
        }
        if not changes or self.module.check_mode:
            return result
        written: list[tuple[str, str | None]] = []
        try:
            for path, before, after in changes:
                written.append((path, before))
                self.put(path, after)
            refused = self._run(self.p["validate"], "the configuration check") if self.p["validate"] else None
        except OSError:
            self._put_back(written)
            raise
        if refused:
            self._put_back(written)
            raise UpstreamError(
                f"nginx refused the new upstream files in {self.dir} and the previous ones are back in place "
                f"(nginx keeps running on them): {refused}"
            )
        if self.p["reload"]:
            failed = self._run(self.p["reload"], "the reload")
            if failed:
                raise UpstreamError(f"the upstream files in {self.dir} were written and accepted, but {failed}")
            result["reloaded"] = True
        return result

    def _put_back(self, written: list[tuple[str, str | None]]) -> None:
        for path, before in reversed(written):
            self.put(path, before)


def main() -> None:
    argument_spec: dict[str, Any] = dict(
        dir=dict(type="path", required=True),
        servers=dict(type="list", elements="dict", required=True, options=dict(
            host=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "down", "absent"], default="present"),
            address=dict(type="str"),
            port=dict(type="int"),
        )),
        max_fails=dict(type="int", default=1),
        fail_timeout=dict(type="str", default="10s"),
        header=dict(type="str", default=""),
        validate=dict(type="list", elements="str", default=["nginx", "-t"]),
        reload=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result = Upstreams(module).run()
    except UpstreamError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"{exc.filename or module.params['dir']}: {exc.strerror or exc}")
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
