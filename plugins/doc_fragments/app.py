# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that name an app and where its files live, written once for every module.

Their argument specs are in plugins/module_utils/_app.py.
"""

from __future__ import annotations


class ModuleDocFragment:
    """Use as ``dockyard.django.app`` (the option app), ``dockyard.django.app.apps`` (app or
    apps, for the info modules that read several apps in one run) and ``dockyard.django.app.root``
    (root)."""

    DOCUMENTATION = r"""
options:
  app:
    description:
      - The app's name. It names the app's directory C(<root>/<app>), its env file
        C(/etc/default/<app>), its Compose projects and its deploy lock.
      - Lower-case letters, digits, V(_) and V(-), starting with a letter, at most 32 characters.
    type: str
    required: true
"""

    ROOT = r"""
options:
  root:
    description:
      - The absolute directory that holds one directory per app, C(<root>/<app>), where the
        app's compose file and release files (C(TAG), C(REVERT), C(HISTORY.json)) live.
    type: path
    default: /var/www
"""

    APPS = r"""
options:
  app:
    description:
      - The app's name.
      - Lower-case letters, digits, V(_) and V(-), starting with a letter, at most 32 characters.
      - Exactly one of O(app) and O(apps) is required.
    type: str
  apps:
    description:
      - Several apps' names, read in one run (one round trip for all the apps of a host); the
        result is then by app name, in RV(apps).
    type: list
    elements: str
"""
