"""Counters the tests read (not part of the cupy namespace): device-to-host synchronisations."""
syncs = 0
