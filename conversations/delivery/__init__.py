"""What reaches people, exactly once: the outbox, handled events and replayed clicks."""
