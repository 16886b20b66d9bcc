#!/usr/bin/env bash
# registry.sh up [PORT] | down — a local docker-registry on 127.0.0.1 for trying wtools by hand.
set -euo pipefail
state="${WTOOLS_REGISTRY_DIR:-.cache/registry}"
pidfile="$state/registry.pid"
case "${1:-}" in
  up)
    port="${2:-5000}"
    mkdir -p "$state/data"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "registry already running (pid $(cat "$pidfile"))"; exit 0
    fi
    cat > "$state/config.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $(cd "$state/data" && pwd)}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: local-only}
YAML
    nohup docker-registry serve "$state/config.yml" >"$state/registry.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do
      if node -e "fetch('http://127.0.0.1:$port/v2/').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
        echo "registry on 127.0.0.1:$port (pid $(cat "$pidfile"))"; exit 0
      fi
      sleep 0.1
    done
    echo "registry did not start; see $state/registry.log" >&2; exit 1
    ;;
  down)
    if [ -f "$pidfile" ]; then kill "$(cat "$pidfile")" 2>/dev/null || true; rm -f "$pidfile"; echo "registry stopped"; fi
    ;;
  *) echo "usage: registry.sh up [PORT] | down" >&2; exit 2 ;;
esac
