"""Report importers, one module per format."""
