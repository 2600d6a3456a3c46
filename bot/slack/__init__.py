"""The Slack front end: the bolt app, its server, listeners and Block Kit views."""
