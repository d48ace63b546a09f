"""Errors the jobs act on by class."""

from __future__ import annotations


class CustomerBusy(Exception):
    """Another job holds this customer's lock: the job is re-enqueued shortly, never sleeps."""


class GaveUp(Exception):
    """A transient vendor failure outlasted the retry horizon; the job lands in RQ's failed
    registry with its actions in `job.meta["actions"]` so `conduct jobs requeue` can re-run it."""
