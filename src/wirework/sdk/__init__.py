"""What node and integration authors import: declarations, params models, the registry."""
