# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks of the day-2 playbooks (status.yml, logs.yml, maintenance.yml, restore.yml):
one message per bad input, naming it as the operator typed it and saying what is allowed.
The app, the operator and stray -e words are checked as the deploy checks them."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import Any, Callable

from ansible_collections.dockyard.django.plugins.filter.deploy import input_problems
from ansible_collections.dockyard.django.plugins.plugin_utils._inputs import shown as _shown, whole as _whole

_SINCE_RE = re.compile(r"^([0-9]+(s|m|h)|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?Z?)?)$")
_DUMP_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}-[0-9]{8}T[0-9]{6}Z(-[A-Za-z0-9._-]{1,64})?\.dump$")
# The inputs the deploy's input_problems checks the same way.
_SHARED = ("app", "operator", "cli_words")
# Whole-number inputs, with their least value.
_COUNTS = {"lines": 1, "deploys": 1, "retry_after": 1}


def address_list(value: Any) -> list[str] | None:
    """Client addresses as given (a list, or one string of addresses separated by commas or
    spaces), each an IP address or a network in CIDR form; None when one is not."""
    items = value if isinstance(value, list) else re.split(r"[,\s]+", str(value or "").strip())
    found = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            found.append(str(ipaddress.ip_network(text, strict=False)) if "/" in text else str(ipaddress.ip_address(text)))
        except ValueError:
            return None
    return found


def day2_input_problems(inputs: Mapping[str, Any], apps: list[Any] | None = None) -> list[str]:
    """What is wrong with the inputs of a day-2 playbook (empty: nothing); only those given are
    checked. ``apps`` is the app list: the app must be one of them."""
    problems = input_problems({key: inputs[key] for key in _SHARED if key in inputs}, apps)
    if "format" in inputs and inputs["format"] not in ("table", "json"):
        problems.append(f"format={_shown(inputs['format'])}: must be table or json")
    if "service" in inputs and inputs["service"] not in ("all", "web", "worker", "beat"):
        problems.append(f"service={_shown(inputs['service'])}: must be web, worker or beat (or all)")
    if "since" in inputs and inputs["since"] not in (None, "") and not _SINCE_RE.match(str(inputs["since"])):
        problems.append(f"since={_shown(inputs['since'])}: must be a duration such as 30s, 10m or 2h, "
                        "or a UTC date such as 2026-11-30T10:15:00Z")
    if "state" in inputs and inputs["state"] not in ("on", "off"):
        problems.append(f"state={_shown(inputs['state'])}: must be on or off")
    if inputs.get("page") not in (None, ""):
        page = inputs["page"]
        if not isinstance(page, str) or not os.path.isfile(page):
            problems.append(f"page={_shown(page)}: must be an HTML file on this controller")
        elif os.path.getsize(page) > 1024 * 1024:
            problems.append(f"page={_shown(page)}: must be at most 1 MiB")
    if "allow" in inputs and address_list(inputs["allow"]) is None:
        problems.append(f"allow={_shown(inputs['allow'])}: must be client addresses or networks "
                        "(e.g. 10.0.0.5,192.168.1.0/24), separated by commas")
    if inputs.get("dump") not in (None, "") and not (isinstance(inputs["dump"], str) and _DUMP_RE.match(inputs["dump"])):
        problems.append(f"dump={_shown(inputs['dump'])}: must be the file name of a dump of the app's database, "
                        "<database>-<UTC time>[-<label>].dump, as the backups list them")
    if "confirm" in inputs and inputs["confirm"] != inputs.get("app"):
        problems.append(f"confirm: restoring replaces the app's database; give -e confirm={inputs.get('app')} "
                        "(the app's name) to go ahead")
    for key, least in _COUNTS.items():
        if key in inputs:
            number = _whole(inputs[key])
            if number is None or number < least:
                problems.append(f"{key}={_shown(inputs[key])}: must be a whole number, {least} or more")
    return problems


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "address_list": address_list,
            "day2_input_problems": day2_input_problems,
        }
