#!/usr/bin/env bash
# ansible-test sanity of this collection with one toolchain, fetching nothing but PyPI packages:
#   tests/sanity/run.sh <venv directory> [ansible-test sanity options...]
#
# - ansible-test wants to run from .../ansible_collections/dockyard/django: the Makefile links
#   .collections/ansible_collections/dockyard/django to the checkout, and ANSIBLE_TEST_CONTENT_ROOT
#   names that path (a cd through the link would land back in the checkout).
# - It builds one virtual environment per test and bootstraps pip in each by running get-pip.py,
#   downloaded from a host these machines cannot reach. tests/sanity/get_pip_offline.py stands
#   in for it (Python's own pip wheel), so the pinned tools come from PyPI only. Those
#   environments live in .cache/ansible-test (HOME for ansible-test), kept between runs.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$(cd "$1" && pwd)"
shift
bash "$repo/tests/sanity/prereqs.sh"

home="$repo/.cache/ansible-test"
test_root="$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')"
pip_version="$(grep -oE "pip='[0-9.]+'" "$test_root/_internal/python_requirements.py" | head -n 1 | tr -dc '0-9.')"
[ -n "$pip_version" ] || { echo "sanity: cannot tell which pip ansible-test bootstraps" >&2; exit 1; }
mkdir -p "$home/.ansible/test/cache"
install -m 0644 "$repo/tests/sanity/get_pip_offline.py" "$home/.ansible/test/cache/get_pip_${pip_version//./_}.py"

content="$repo/.collections/ansible_collections/dockyard/django"
[ -e "$content/galaxy.yml" ] || { echo "sanity: $content is missing (make collection)" >&2; exit 1; }
cd "$content"
HOME="$home" ANSIBLE_TEST_CONTENT_ROOT="$content" PATH="$venv/bin:$PATH" \
  "$venv/bin/ansible-test" sanity --color no "$@"
