"""The report dialogue: drafts, submission and routing to the DSL team."""
