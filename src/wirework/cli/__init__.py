"""The `wirework` command: thin wrappers that open a runtime and call services."""
