"""Every error the backend raises on purpose, under one base.

    MapError                      base: a message a person can act on
    ├── InputError                what a rep typed is wrong (field, what, the fix)
    ├── TemplateError             (sheets_schema.template) a template file is wrong
    ├── NotFound                  no MAP with that id or path
    ├── WrongState                not in this state of the deal (sharing a lost MAP)
    └── WorkspaceError            a MAP's files could not be used
        ├── MapMissing            the file is gone (deleted, moved)
        ├── MapLocked             someone has it open (a lock file is present)
        ├── MapCorrupt            the file is not a workbook we can open
        └── VersionConflict       the file changed between our read and our write

The core (addon/plan) raises none of these: it reports problems as values.
"""

from __future__ import annotations


class MapError(Exception):
    """Base class; str(error) is the message for a person."""


class InputError(MapError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


class NotFound(MapError):
    pass


class WrongState(MapError):
    pass


class WorkspaceError(MapError):
    def __init__(self, ref: str, message: str) -> None:
        super().__init__(f"{ref}: {message}")
        self.ref = ref


class MapMissing(WorkspaceError):
    pass


class MapLocked(WorkspaceError):
    pass


class MapCorrupt(WorkspaceError):
    pass


class VersionConflict(WorkspaceError):
    pass
