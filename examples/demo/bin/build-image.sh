#!/usr/bin/env bash
# Build the demo image and push it to the lab registry.
#
#   examples/demo/bin/build-image.sh TAG [VARIANT]
#
# Builds demo:TAG (VARIANT: normal, unhealthy, halfhealthy, badmigration, newmigration,
# restyled) and pushes it as 127.0.0.1:$LAB_REGISTRY_PORT/demo:TAG, which lab hosts pull as
# registry:5000/demo:TAG.
#
# Environment:
#   LAB_REGISTRY_PORT   the registry's port on the machine (default 5000)
#   BASE_IMAGE          the base image (default: the lab host image, else python:3.13-slim)
#   PUSH=0              build only
#   NO_CACHE=1          build every layer again (docker build --no-cache)
#   PIP                 the pip that downloads the wheelhouse (default: the repo's .venv)
#   VARIANTS            where the variant overlays live (default: tests/demo/variants)
set -euo pipefail

usage() { echo "usage: $0 TAG [normal|unhealthy|halfhealthy|badmigration|newmigration|restyled]" >&2; exit 2; }
[[ $# -ge 1 && $# -le 2 ]] || usage
TAG=$1
VARIANT=${2:-normal}
[[ $TAG =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "invalid image tag: $TAG" >&2; exit 2; }
case $VARIANT in normal|unhealthy|halfhealthy|badmigration|newmigration|restyled) ;; *) usage ;; esac

DEMO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO=$(cd "$DEMO/../.." && pwd)
REGISTRY=127.0.0.1:${LAB_REGISTRY_PORT:-5000}
PASSWORD_FILE=$REPO/lab/.state/registry-password
PIP=${PIP:-$REPO/.venv/bin/pip}
# The fault-test overlays are test support: they live with the tests.
VARIANTS=${VARIANTS:-$REPO/tests/demo/variants}
PUSH=${PUSH:-1}

if [[ -z ${BASE_IMAGE:-} ]]; then
    # The lab's Debian 13 host image (python3 3.13): the lab cannot pull python:3.13-slim.
    BASE_IMAGE=$(docker inspect --format '{{.Config.Image}}' "${LAB_PREFIX:-dockyard-lab}-web1" 2>/dev/null || true)
    BASE_IMAGE=${BASE_IMAGE:-python:3.13-slim}
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
started=$(now)

# --- the wheelhouse: CPython 3.13 manylinux wheels, downloaded once per requirements.txt ---
PLATFORM_ARGS=(--only-binary=:all: --python-version 3.13 --implementation cp --abi cp313
               --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform any)
key=$( { cat "$DEMO/requirements.txt"; echo "${PLATFORM_ARGS[*]}"; } | sha256sum | cut -c1-16)
WHEELHOUSE=$REPO/.cache/wheelhouse/demo/$key
if [[ ! -f $WHEELHOUSE/.complete ]]; then
    echo "==> wheelhouse: downloading into $WHEELHOUSE"
    mkdir -p "$(dirname "$WHEELHOUSE")"
    tmp=$(mktemp -d "$WHEELHOUSE.tmp.XXXXXX")
    "$PIP" download --quiet --disable-pip-version-check "${PLATFORM_ARGS[@]}" \
        -r "$DEMO/requirements.txt" -d "$tmp"
    touch "$tmp/.complete"
    # Atomic publish: a concurrent build either sees the whole wheelhouse or none.
    mv -T "$tmp" "$WHEELHOUSE" 2>/dev/null || rm -rf "$tmp"
else
    echo "==> wheelhouse: reusing $WHEELHOUSE"
fi

# --- the build context: only what the image needs (no caches, only this variant's files) ---
mkdir -p "$REPO/.cache/build"
STAGE=$(mktemp -d "$REPO/.cache/build/demo.XXXXXX")
DOCKER_CONFIG_DIR=""
cleanup() {
    rm -rf "$STAGE"
    [[ -z $DOCKER_CONFIG_DIR ]] || rm -rf "$DOCKER_CONFIG_DIR"
}
trap cleanup EXIT
tar -C "$DEMO" --exclude=__pycache__ --exclude='*.pyc' --exclude=staticfiles --exclude='*.sqlite3' \
    -cf - Dockerfile requirements.txt docker app | tar -C "$STAGE" -xf -
mkdir -p "$STAGE/variants/$VARIANT" "$STAGE/wheelhouse"
if [[ $VARIANT != normal ]]; then
    tar -C "$VARIANTS/$VARIANT" --exclude=__pycache__ -cf - . | tar -C "$STAGE/variants/$VARIANT" -xf -
fi
cp "$WHEELHOUSE"/*.whl "$STAGE/wheelhouse/"

# --- build ---
echo "==> building demo:$TAG (variant $VARIANT, base $BASE_IMAGE)"
build_started=$(now)
cache_args=()
[[ ${NO_CACHE:-0} == 0 ]] || cache_args=(--no-cache)
docker build "${cache_args[@]}" \
    --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --build-arg "VARIANT=$VARIANT" \
    --build-arg "RELEASE=$TAG" \
    -t "demo:$TAG" -t "$REGISTRY/demo:$TAG" \
    "$STAGE"
echo "==> built demo:$TAG in $(elapsed "$build_started")s"

# --- push, with a private docker config so ~/.docker stays untouched ---
if [[ $PUSH != 0 ]]; then
    [[ -r $PASSWORD_FILE ]] || { echo "no registry password at $PASSWORD_FILE (run make lab)" >&2; exit 1; }
    DOCKER_CONFIG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dockyard-docker-config.XXXXXX")
    push_started=$(now)
    DOCKER_CONFIG=$DOCKER_CONFIG_DIR docker login -u dockyard --password-stdin "$REGISTRY" \
        < "$PASSWORD_FILE" > /dev/null
    DOCKER_CONFIG=$DOCKER_CONFIG_DIR docker push --quiet "$REGISTRY/demo:$TAG" > /dev/null
    echo "==> pushed $REGISTRY/demo:$TAG (lab hosts: registry:5000/demo:$TAG) in $(elapsed "$push_started")s"
fi
echo "==> done in $(elapsed "$started")s"
