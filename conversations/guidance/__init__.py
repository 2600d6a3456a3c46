"""The policy as data: questions, categories, triggers and contacts."""
