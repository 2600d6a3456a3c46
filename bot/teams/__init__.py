"""The Microsoft Teams front end: the Teams SDK app and its HTTP server, listeners, delivery and
Adaptive Cards."""
