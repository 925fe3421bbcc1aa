"""Checks of the deployment files (compose, nginx), validated without a Docker engine."""
