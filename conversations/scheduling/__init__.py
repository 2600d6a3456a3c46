"""Reminders on the school calendar, and the runner that sends them."""
