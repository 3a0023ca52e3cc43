"""The words the schema, the parser, the writers and the roll-up share."""

from enum import StrEnum


class Status(StrEnum):
    """What a person says about a step (the Status column)."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    ON_HOLD = "on_hold"
    SKIPPED = "skipped"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS: dict[Status, str] = {
    Status.NOT_STARTED: "Not started",
    Status.IN_PROGRESS: "In progress",
    Status.DONE: "Done",
    Status.BLOCKED: "Blocked",
    Status.ON_HOLD: "On hold",
    Status.SKIPPED: "Skipped (N/A)",
}


class Health(StrEnum):
    """What the sync computes for a step (first matching rule wins; see addon/plan/status.py)."""

    DONE = "done"
    SKIPPED = "skipped"
    BLOCKED = "blocked"
    OVERDUE = "overdue"
    AT_RISK = "at_risk"
    DUE_SOON = "due_soon"
    ON_TRACK = "on_track"
    UNSCHEDULED = "unscheduled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class MapHealth(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Side(StrEnum):
    BUYER = "buyer"
    SELLER = "seller"
    BOTH = "both"


class Role(StrEnum):
    # buyer side
    CHAMPION = "champion"
    ECONOMIC_BUYER = "economic_buyer"
    TECHNICAL_EVALUATOR = "technical_evaluator"
    SECURITY = "security"
    LEGAL = "legal"
    PROCUREMENT = "procurement"
    END_USER = "end_user"
    # seller side
    AE = "ae"
    SE = "se"
    CSM = "csm"
    EXECUTIVE_SPONSOR = "executive_sponsor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.CHAMPION: "Champion",
    Role.ECONOMIC_BUYER: "Economic buyer",
    Role.TECHNICAL_EVALUATOR: "Technical evaluator",
    Role.SECURITY: "Security",
    Role.LEGAL: "Legal",
    Role.PROCUREMENT: "Procurement",
    Role.END_USER: "End user",
    Role.AE: "AE",
    Role.SE: "SE",
    Role.CSM: "CSM",
    Role.EXECUTIVE_SPONSOR: "Executive sponsor",
}
BUYER_ROLES = frozenset(
    {
        Role.CHAMPION,
        Role.ECONOMIC_BUYER,
        Role.TECHNICAL_EVALUATOR,
        Role.SECURITY,
        Role.LEGAL,
        Role.PROCUREMENT,
        Role.END_USER,
    }
)
SELLER_ROLES = frozenset({Role.AE, Role.SE, Role.CSM, Role.EXECUTIVE_SPONSOR})


class ResourceKind(StrEnum):
    """What a resource on the Resources tab is for (the Kind column)."""

    SECURITY = "security"
    LEGAL = "legal"
    COMMERCIAL = "commercial"
    TECHNICAL = "technical"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ColumnType(StrEnum):
    ID = "id"
    TEXT = "text"
    DATE = "date"
    STATUS = "status"
    PEOPLE = "people"
    IDS = "ids"
    EMAIL = "email"
    SIDE = "side"
    ROLE = "role"
    INTEGER = "integer"
    HEALTH = "health"
    LINK = "link"
