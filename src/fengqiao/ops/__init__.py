"""Operating a deployment: backup and restore (not a Django app, no models)."""
