"""The Teams test kit: a fake Bot Connector, a local OpenID key server, signed activities."""
