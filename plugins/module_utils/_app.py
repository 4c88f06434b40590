# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs of the options that name an app and where its files live.

Written once for every module that takes them; documented once in
plugins/doc_fragments/app.py (``dockyard.django.app``, ``.apps`` and ``.root``).

Private to this collection (the leading underscore): no compatibility promise.
"""

from __future__ import annotations

from typing import Any

DEFAULT_ROOT = "/var/www"


def app_argument_spec(root: bool = True) -> dict[str, Any]:
    """``app`` (required), and ``root`` unless the module keeps no files under it."""
    spec: dict[str, Any] = {"app": {"type": "str", "required": True}}
    if root:
        spec["root"] = {"type": "path", "default": DEFAULT_ROOT}
    return spec


def apps_argument_spec() -> tuple[dict[str, Any], dict[str, Any]]:
    """``app`` or ``apps`` (one app, or several read in one run) and ``root``: the spec, and the
    AnsibleModule keywords that make exactly one of the two required."""
    spec = app_argument_spec()
    spec["app"]["required"] = False
    spec["apps"] = {"type": "list", "elements": "str"}
    return spec, {"mutually_exclusive": [("app", "apps")], "required_one_of": [("app", "apps")]}


def app_names(params: dict[str, Any]) -> list[str]:
    """The apps a module of ``apps_argument_spec`` reads: [app], or apps."""
    return [params["app"]] if params["app"] is not None else list(params["apps"])
