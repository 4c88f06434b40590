# Copyright: dockyard.django contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for pypa's get-pip.py, which ansible-test downloads from a host CI cannot reach.

ansible-test builds one virtual environment per sanity test, without pip, and bootstraps pip
in it by running get-pip.py (cached as ~/.ansible/test/cache/get_pip_<version>.py). This script
does what get-pip.py does, `pip install --upgrade --force-reinstall <arguments>`, with the pip
wheel Python itself bundles (ensurepip) instead of one embedded in the script; pip then
installs the pinned versions ansible-test asks for from the configured package index (PyPI).
`make sanity` copies it into that cache.
"""

from __future__ import annotations

import glob
import os
import sys

import ensurepip


def main() -> int:
    bundled = glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl"))
    if not bundled:
        print("get_pip_offline: this Python bundles no pip wheel (ensurepip/_bundled is empty)", file=sys.stderr)
        return 1
    sys.path.insert(0, bundled[0])
    from pip._internal.cli.main import main as pip_main  # pylint: disable=import-outside-toplevel

    # get-pip.py's own switches; pip does not know them.
    arguments = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    return pip_main(["install", "--upgrade", "--force-reinstall", *arguments])


if __name__ == "__main__":
    sys.exit(main())
