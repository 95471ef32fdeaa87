"""Pydantic request/response models and the workflow document model. No database, no HTTP."""
