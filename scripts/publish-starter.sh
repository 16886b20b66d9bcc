#!/usr/bin/env bash
# `make publish REGISTRY=host[:port]/namespace`: copies each signed starter component from its OCI
# layout in dist/starter to REGISTRY/<name>:<version>, with its signatures (OCI referrers), so what
# arrives verifies against dist/starter/starter.pub exactly as the layouts do. Credentials come from
# `wtools login` or the Docker config, as for any push.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
registry="${1:?usage: publish-starter.sh host[:port]/namespace}"
version="0.1.0"
# One layout per component: the set is what make components built, not a list kept here too.
for layout in "$root"/dist/starter/*/; do
  name="$(basename "$layout")"
  node "$root/dist/bundle/bin.js" copy "oci:$root/dist/starter/$name:$version" "$registry/$name:$version" --with-referrers
done
echo "verify with: wtools verify $registry/<name>:$version --key $root/dist/starter/starter.pub"
