#!/usr/bin/python
# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: nginx_upstream
short_description: Point one web host of one nginx site at an address and port, validated and reloaded in one call
version_added: 0.3.0
description:
  - Writes the upstream file of one web host of one site on an nginx front (one C(server) line),
    checks the whole configuration with O(validate), puts the previous file back if nginx refuses
    it, then runs O(reload). Everything a rolling deploy's switch does on a front, in one round
    trip (the switch runs it once per web host and front).
  - V(present) points the host at O(address):O(port); V(down) keeps the line, marked C(down)
    (O(address) and O(port) default to the file's); V(absent) removes the file.
  - The same values again change nothing and do not reload.
  - The directory of the file must exist (the proxy role creates it for every site it configures).
  - Used by the C(upstream_set) entry point of the C(dockyard.django.proxy) role, which fills in
    the paths and timings of its variables.
options:
  path:
    description:
      - The upstream file of the host, C(<site dir>/upstream.d/<host>.conf).
    type: path
    required: true
  state:
    description:
      - What to make true; see the description.
    type: str
    choices: [present, down, absent]
    default: present
  address:
    description:
      - The host's address (a name, IPv4 or IPv6). Required for O(state=present).
    type: str
  port:
    description:
      - The host's port. Required for O(state=present).
    type: int
  max_fails:
    description:
      - nginx's C(max_fails) for the server.
    type: int
    default: 1
  fail_timeout:
    description:
      - nginx's C(fail_timeout) for the server (an nginx time, V(10s)).
    type: str
    default: 10s
  header:
    description:
      - Comment lines written above the server line (the role passes C(ansible_managed | comment)).
    type: str
    default: ""
  validate:
    description:
      - The command that checks the whole configuration after the file is written; the previous file
        is put back when it fails. Empty list, no check.
    type: list
    elements: str
    default: [nginx, -t]
  reload:
    description:
      - The command run after a change, once the configuration was accepted. Empty list, no reload.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Reports whether the file would change, and neither writes, validates nor reloads.
  diff_mode:
    support: full
    description: Shows the file before and after.
extends_documentation_fragment:
  - dockyard.django.attributes
seealso:
  - module: dockyard.django.web_slot
author: "dockyard.django maintainers (@dockyard)"
"""

EXAMPLES = r"""
- name: Point web1 of shop at port 8002, then reload nginx and wait for its old workers
  dockyard.django.nginx_upstream:
    path: /etc/nginx/dockyard/shop/upstream.d/web1.conf
    address: 10.0.0.11
    port: 8002
    reload: [/usr/local/sbin/dockyard-nginx-reload, "90"]

- name: Take web1 out of shop (its line stays, marked down)
  dockyard.django.nginx_upstream:
    path: /etc/nginx/dockyard/shop/upstream.d/web1.conf
    state: down
    reload: [/usr/local/sbin/dockyard-nginx-reload, "90"]
"""

RETURN = r"""
server:
  description: The server line the file holds now; empty when it was removed.
  returned: always
  type: str
  sample: "server 10.0.0.11:8002 max_fails=1 fail_timeout=10s;"
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


def desired_server(params: dict[str, Any], current: str | None) -> str | None:
    """The server line to write for the module's parameters, or None to remove the file."""
    state = params["state"]
    if state == "absent":
        return None
    if not NGINX_TIME.match(params["fail_timeout"]):
        raise UpstreamError(f"fail_timeout must be an nginx time such as 10s, not {params['fail_timeout']!r}")
    if params["max_fails"] < 0:
        raise UpstreamError(f"max_fails must be 0 or more, not {params['max_fails']}")
    address, port = params["address"], params["port"]
    if state == "down" and (not address or port is None):
        known = parse_server(current or "")
        if known is None:
            raise UpstreamError(
                f"{params['path']} does not exist or names no server: to mark its host down, give address and port"
            )
        address, port = address or known[0], port if port is not None else known[1]
    if not address or port is None:
        raise UpstreamError("state=present needs address and port")
    if re.search(r"[\s;{}]", address):
        raise UpstreamError(f"address must be a host name or an IP address, not {address!r}")
    if not 1 <= port <= 65535:
        raise UpstreamError(f"port must be 1-65535, not {port}")
    return format_server(address, port, params["max_fails"], params["fail_timeout"], state == "down")


class Upstream:
    """Reads the host's upstream file, compares it with the wanted line, then writes, validates and reloads."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.p = module.params
        self.path: str = self.p["path"]

    def read(self) -> str | None:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def _put(self, text: str | None) -> None:
        if text is None:
            if os.path.lexists(self.path):
                os.unlink(self.path)
        else:
            atomic_write(self.path, text, lambda tmp: os.chmod(tmp, 0o644))

    def _run(self, argv: list[str], what: str) -> str | None:
        """Run a command; its error output when it failed, else None."""
        rc, out, err = self.module.run_command(argv)
        if rc == 0:
            return None
        return f"{what} ({' '.join(argv)}) exited {rc}: {(err or out).strip()[-600:] or 'no output'}"

    def run(self) -> dict[str, Any]:
        directory = os.path.dirname(self.path)
        if not os.path.isdir(directory):
            raise UpstreamError(
                f"{directory} does not exist: the site is not configured here "
                "(run the proxy role with it in proxy_sites first)"
            )
        before = self.read()
        server = desired_server(self.p, before)
        after = None if server is None else render(self.p["header"], server)
        result: dict[str, Any] = {
            "changed": before != after,
            "server": server or "",
            "reloaded": False,
            "diff": {"before": before or "", "after": after or "",
                     "before_header": self.path, "after_header": self.path},
        }
        if not result["changed"] or self.module.check_mode:
            return result
        self._put(after)
        if self.p["validate"]:
            refused = self._run(self.p["validate"], "the configuration check")
            if refused:
                self._put(before)
                raise UpstreamError(
                    f"nginx refused the new {self.path} and the previous file is back in place "
                    f"(nginx keeps running on it): {refused}"
                )
        if self.p["reload"]:
            failed = self._run(self.p["reload"], "the reload")
            if failed:
                raise UpstreamError(f"{self.path} was written and accepted, but {failed}")
            result["reloaded"] = True
        return result


def main() -> None:
    argument_spec: dict[str, Any] = dict(
        path=dict(type="path", required=True),
        state=dict(type="str", choices=["present", "down", "absent"], default="present"),
        address=dict(type="str"),
        port=dict(type="int"),
        max_fails=dict(type="int", default=1),
        fail_timeout=dict(type="str", default="10s"),
        header=dict(type="str", default=""),
        validate=dict(type="list", elements="str", default=["nginx", "-t"]),
        reload=dict(type="list", elements="str", default=[]),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        result = Upstream(module).run()
    except UpstreamError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"{module.params['path']}: {exc.strerror or exc}")
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
