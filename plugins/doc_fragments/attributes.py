# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Attributes every module of the collection shares, and those of its read-only _info modules."""

from __future__ import annotations


class ModuleDocFragment:
    """Use as ``dockyard.django.attributes`` (every module) and ``dockyard.django.attributes.info_module``."""

    DOCUMENTATION = r"""
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on the managed Debian host (POSIX), where the app's files and Docker engine are.
"""

    INFO_MODULE = r"""
attributes:
  check_mode:
    support: full
    description: Only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Only reads, so there is no difference to show.
"""
