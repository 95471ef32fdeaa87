"""The core nodes (triggers, flow, data). Importing this package registers them."""
