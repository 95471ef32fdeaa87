"""The workflow engine: graph compilation, execution state machine, expressions."""
