"""The offline practice console: the same services in a terminal."""
