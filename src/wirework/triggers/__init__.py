"""Triggers that fire on their own: schedules (and, later, polling integrations)."""
