"""Storage: the database, its models and migrations."""
