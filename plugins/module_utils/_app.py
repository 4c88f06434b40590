# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs of the options that name an app and where its files live.

Written once for every module that takes them; documented once in
plugins/doc_fragments/app.py (``dockyard.django.app`` and ``dockyard.django.app.root``).

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
