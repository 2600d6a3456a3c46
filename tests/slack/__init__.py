"""Test harness for the Slack adapter: a fake Web API server and signed Slack requests."""
