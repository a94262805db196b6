#!/usr/bin/env bash
# Builds the image localhost/rrdns:test with podman on a machine without registry access:
# the Debian base is made offline-ready with mmdebstrap (from the Debian mirror, the one
# network source such machines have) and imported once, and the binary is built here.
#
#   docker/build.sh [--binary FILE] [--tag TAG]
#
# Needs podman, runc and mmdebstrap (apt-get install podman runc mmdebstrap). With
# CONTAINERS_CONF unset, a configuration that runs on this kind of machine is used: runc,
# cgroupfs, and no default ulimits (crun and the defaults fail on hybrid cgroups).
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
tag="localhost/rrdns:test"
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    *) echo "usage: docker/build.sh [--binary FILE] [--tag TAG]" >&2; exit 2 ;;
  esac
done

if [ -z "${CONTAINERS_CONF:-}" ]; then
  export CONTAINERS_CONF="${TMPDIR:-/tmp}/rrdns-containers.conf"
  printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\nruntime = "runc"\n' >"$CONTAINERS_CONF"
fi

if [ -z "$binary" ]; then
  cargo build --release --locked
  binary=target/release/rrdns
fi

work=$(mktemp -d)
trap 'rm -rf "$work" docker/rrdns.prebuilt' EXIT
base=localhost/debian:bookworm
if ! podman image exists "$base"; then
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/base.tar"
  podman import --quiet "$work/base.tar" "$base" >/dev/null
fi

install -m 0755 "$binary" docker/rrdns.prebuilt
podman build --quiet --format docker --target image-prebuilt \
  --build-arg BASE_IMAGE="$base" -f docker/Dockerfile -t "$tag" . >/dev/null
echo "$tag"
