"""The case file: lifecycle moves, the DSL's decisions, the record and its export."""
