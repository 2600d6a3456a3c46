"""The Microsoft Teams front end: the Teams SDK app, its listeners, delivery and Adaptive Cards."""
