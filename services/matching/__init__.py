"""The matching service: entry tasks, training slots, runs and the pure engine."""
