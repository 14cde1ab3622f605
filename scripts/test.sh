#!/usr/bin/env bash
# The project's test command: sets up the machine (idempotent), then runs every module's tests.
# Tests start the servers they need themselves (Orthanc on 127.0.0.1, free ports) and stop them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/bootstrap.sh
exec mvn -B -ntp install "$@"
