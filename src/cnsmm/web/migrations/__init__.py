"""Migrations of the web tables."""
