"""ci rules."""
