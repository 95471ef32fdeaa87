#!/usr/bin/env bash
# Regenerate the web UI's API client from the server's OpenAPI schema (no server needed):
#   web/src/api/openapi.json  <- create_app().openapi()
#   web/src/api/schema.d.ts   <- openapi-typescript
# With --check, generate into a temporary directory and fail if the committed files differ.
# PYTHON (default .venv/bin/python) must have wirework's dependencies; web/node_modules must
# be installed (npm ci).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
api_dir=$root/web/src/api
check=false
[[ ${1:-} == --check ]] && check=true

out=$api_dir
if $check; then
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
fi

PYTHONPATH=$root/src${PYTHONPATH:+:$PYTHONPATH} "$python" - "$out/openapi.json" <<'PY'
import json, sys, tempfile
from pathlib import Path

from wirework.api.app import create_app
from wirework.settings import Settings

with tempfile.TemporaryDirectory() as data_dir:
    schema = create_app(Settings(data_dir=Path(data_dir))).openapi()
Path(sys.argv[1]).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
PY
"$root/web/node_modules/.bin/openapi-typescript" "$out/openapi.json" -o "$out/schema.d.ts" \
	--default-non-nullable false \
	--silent

if $check; then
	for f in openapi.json schema.d.ts; do
		if ! cmp -s "$out/$f" "$api_dir/$f"; then
			echo "web/src/api/$f is stale: run 'make api-client' and commit the result" >&2
			diff -u "$api_dir/$f" "$out/$f" | head -40 >&2 || true
			exit 1
		fi
	done
	echo "API client up to date"
fi
