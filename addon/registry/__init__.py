"""State that must outlive a request: MAPs, baselines, sync versions, idempotency keys."""

from addon.registry.store import Registry

__all__ = ["Registry"]
