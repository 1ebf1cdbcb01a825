"""Admin for the raw webhook event log."""
