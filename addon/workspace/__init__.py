"""Where MAP files live: the Workspace protocol and its implementations."""

from addon.workspace.base import ComputedWrite, MapDraft, MapFiles, Snapshot, Workspace

__all__ = ["ComputedWrite", "MapDraft", "MapFiles", "Snapshot", "Workspace"]
