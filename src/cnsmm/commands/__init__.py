"""Command-line commands, one module per command group; `cnsmm._cli` assembles them."""
