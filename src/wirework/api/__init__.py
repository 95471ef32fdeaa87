"""The HTTP surface: FastAPI app, routes per resource, auth dependencies, static UI."""
