"""OpenAPI import: a generated description of 1,002 operations (the tests' generator: $refs,
a recursive schema, shared parameters) parsed from JSON and from YAML, turned into a type
(``to_type``), and its actions registered as node types (``declarative.build``)."""

from __future__ import annotations

import json

import yaml

from bench.common import Timer, machine, report
from wirework.sdk.integration import declarative
from wirework.sdk.registry import registry
from wirework.services import openapi_import
from wirework.testing.openapi_sample import large_spec

RESOURCES = 200  # 5 operations each, and 2 more


def main() -> None:
    spec = large_spec("https://acme.test/v1", resources=RESOURCES)
    as_json, as_yaml = json.dumps(spec), yaml.safe_dump(spec)
    with Timer() as parse_json:
        openapi_import.parse_text(as_json)
    with Timer() as parse_yaml:
        openapi_import.parse_text(as_yaml)
    with Timer() as convert:
        data = openapi_import.to_type(spec, key="bench_acme")
    with Timer() as build:
        declarative.build({**data.model_dump(), "key": "bench_acme"})
    registry.unregister_custom("bench_acme")
    report(
        f"openapi_import ({len(data.actions)} operations, {len(as_json) // 1024} KiB JSON)",
        [
            ("machine", machine()),
            ("parse JSON", f"{parse_json.elapsed * 1000:.0f} ms"),
            ("parse YAML", f"{parse_yaml.elapsed * 1000:.0f} ms"),
            ("to_type ($refs, params)", f"{convert.elapsed * 1000:.0f} ms"),
            ("register node types", f"{build.elapsed * 1000:.0f} ms"),
        ],
    )


if __name__ == "__main__":
    main()
