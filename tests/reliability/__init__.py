"""Reliability: outbox, Redis outages, workers, retries."""
