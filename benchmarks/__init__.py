"""Latency, load and memory measurements of the served app."""
