"""Live evidence beside the step: logs, services, backups (UI-free)."""
