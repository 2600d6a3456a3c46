"""Adaptive Card builders: pure functions of plain data (they never query the database)."""
