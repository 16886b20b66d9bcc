#!/usr/bin/env bash
# `make run`: the whole pull path on this machine, with nothing to sign up for. A throwaway
# registry on 127.0.0.1 (a free port), a component pushed to it, pulled and pinned by digest,
# mirrored to an OCI layout and listed, then a signed component run in the sandbox with and
# without a grant. Everything it starts it stops; state goes to a temp dir.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
export WTOOLS_HOME="$work/home"
wtools() { node "$root/dist/bundle/bin.js" "$@"; }
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
mkdir -p "$work/registry"
cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port, secret: demo}
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 50); do
  node -e "fetch('http://127.0.0.1:$port/v2/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break
  sleep 0.1
done

component="$(cd "$root" && npx tsx -e "import('./test/harness/fixtures.ts').then(async (m) => console.log(await m.fixturePath('imports')))")"
ref="127.0.0.1:$port/demo/tools:1.0"
echo "== wtools push $(basename "$component") $ref"
wtools push "$component" "$ref" --source https://example.invalid/demo --version 1.0
echo
echo "== wtools keygen, then wtools sign $ref --key"
wtools keygen --output-prefix "$work/demo" --quiet
wtools sign "$ref" --key "$work/demo.key"
echo
echo "== wtools pull $ref --key demo.pub   (verified against the key before anything is stored)"
wtools pull "$ref" --key "$work/demo.pub"
echo
echo "== wtools copy $ref oci:$work/mirror:1.0 --with-referrers   (the signature travels along)"
wtools copy "$ref" "oci:$work/mirror:1.0" --with-referrers
echo
echo "== wtools ls"
wtools ls
echo
echo
echo "== wtools verify $ref --key demo.pub   (what CI runs: exit 0 verified, 1 not)"
wtools verify "$ref" --key "$work/demo.pub"
echo
echo
basic="$(cd "$root" && npx tsx -e "import('./test/harness/c-fixtures.ts').then(async (m) => console.log(await m.cComponentPath('c/basic')))")"
files_ref="127.0.0.1:$port/demo/files:1.0"
mkdir -p "$work/data"
echo "hello from the host" >"$work/data/note.txt"
echo "== wtools push files.wasm $files_ref --sign --key demo.key   (a C component that reads files)"
wtools push "$basic" "$files_ref" --sign --key "$work/demo.key" --quiet
echo
echo "== wtools call $files_ref read-file   (no grant: the sandbox has no files at all)"
wtools call "$files_ref" read-file --args "[\"$work/data/note.txt\"]" --key "$work/demo.pub" 2>/dev/null || true
echo
echo "== ... the same call with --grant fs:$work/data:ro"
wtools call "$files_ref" read-file --args "[\"$work/data/note.txt\"]" --key "$work/demo.pub" --grant "fs:$work/data:ro"
echo
echo "== ... write-file through that read-only grant   (refused and reported under \"denied\")"
wtools call "$files_ref" write-file --args "[\"$work/data/new.txt\", \"x\"]" --key "$work/demo.pub" --grant "fs:$work/data:ro" 2>/dev/null || true
echo
echo "The MCP server comes next (see the README's roadmap)."
