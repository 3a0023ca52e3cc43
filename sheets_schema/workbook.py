"""The MAP workbook: tabs and columns, declared once.

A column is buyer-editable (the buyer owns the cell: we read it and never write it) or
computed (the sync owns it: rewritten at every sync; text a buyer types there is moved
to the row's sync note first). The row id column is system-managed: the sync fills it
for rows a buyer added and re-issues pasted duplicates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from sheets_schema.vocab import ROLE_LABELS, STATUS_LABELS, ColumnType, ResourceKind, Status


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    type: ColumnType
    editable: bool
    aliases: tuple[str, ...] = ()
    validation: tuple[str, ...] = ()  # dropdown values; never strict: other text is accepted
    width: int = 14  # characters
    note: str = ""  # shown to the buyer as the header's comment

    @property
    def computed(self) -> bool:
        return not self.editable

    def names(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Tab:
    name: str
    columns: tuple[Column, ...]
    title_rows: int = 2  # rows above the header the writer uses for a title block
    required: tuple[str, ...] = ()  # column keys without which the header row is not found

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(f"{self.name} has no column {key!r}")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def header_row(self) -> int:
        """1-based row of the header in a workbook we wrote."""
        return self.title_rows + 1


@dataclass(frozen=True)
class SummaryField:
    key: str
    label: str


@lru_cache(maxsize=8192)
def normalise_header(text: str) -> str:
    """How headers are compared: case, spacing, punctuation and a trailing '*' do not count."""
    text = text.replace("\n", " ").strip().lower()
    text = re.sub(r"[^\w%#]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


STATUS_CHOICES = tuple(STATUS_LABELS[s] for s in Status)
SIDE_CHOICES = ("Buyer", "Seller")
ROLE_CHOICES = tuple(ROLE_LABELS.values())

PLAN = Tab(
    name="Plan",
    required=("step",),
    columns=(
        Column(
            "id",
            "ID",
            ColumnType.ID,
            editable=True,
            aliases=("Row ID", "Step ID", "Ref", "#", "No", "No.", "Item"),
            width=6,
            note="Row id, filled in by the sync. Leave it empty on a row you add.",
        ),
        Column(
            "phase",
            "Phase",
            ColumnType.TEXT,
            editable=True,
            aliases=("Stage", "Workstream", "Milestone phase", "Section"),
            width=13,
        ),
        Column(
            "step",
            "Step",
            ColumnType.TEXT,
            editable=True,
            aliases=(
                "Action",
                "Action item",
                "Task",
                "Milestone",
                "Activity",
                "What",
                "Deliverable",
                "Step (done when)",
                "Done when",
                "Description",
            ),
            width=46,
        ),
        Column(
            "buyer_owner",
            "Buyer owner",
            ColumnType.PEOPLE,
            editable=True,
            aliases=(
                "Customer owner",
                "Client owner",
                "Buyer",
                "Customer",
                "Owner (buyer)",
                "Their owner",
                "Buyer lead",
                "Prospect owner",
            ),
            width=18,
        ),
        Column(
            "seller_owner",
            "Seller owner",
            ColumnType.PEOPLE,
            editable=True,
            aliases=(
                "Vendor owner",
                "Our owner",
                "Seller",
                "Vendor",
                "Owner (seller)",
                "Seller lead",
                "Supplier owner",
            ),
            width=18,
        ),
        Column(
            "due",
            "Due date",
            ColumnType.DATE,
            editable=True,
            aliases=(
                "Due",
                "Date",
                "Target date",
                "Deadline",
                "When",
                "By",
                "Due by",
                "Target",
                "Timeline",
                "Week",
            ),
            width=13,
        ),
        Column(
            "depends_on",
            "Depends on",
            ColumnType.IDS,
            editable=True,
            aliases=(
                "Dependencies",
                "Dependency",
                "Depends",
                "Prerequisites",
                "Prerequisite",
                "Blocked by",
                "After",
            ),
            width=12,
        ),
        Column(
            "status",
            "Status",
            ColumnType.STATUS,
            editable=True,
            aliases=("State", "Progress", "Done?", "Complete?"),
            validation=STATUS_CHOICES,
            width=14,
        ),
        Column(
            "done_on",
            "Done on",
            ColumnType.DATE,
            editable=True,
            aliases=(
                "Completed",
                "Completed on",
                "Date completed",
                "Done date",
                "Completion date",
                "Actual date",
                "Actual",
            ),
            width=13,
        ),
        Column(
            "notes",
            "Notes",
            ColumnType.TEXT,
            editable=True,
            aliases=("Comments", "Comment", "Remarks", "Buyer notes", "Note"),
            width=28,
        ),
        Column(
            "if_it_slips",
            "If it slips",
            ColumnType.TEXT,
            editable=True,
            aliases=(
                "Consequence",
                "If late",
                "If missed",
                "Impact if missed",
                "Consequence if missed",
                "If this slips",
            ),
            width=34,
        ),
        Column(
            "health",
            "Health",
            ColumnType.HEALTH,
            editable=False,
            width=12,
            note="Computed by the sync. Type in Notes instead.",
        ),
        Column("days_late", "Days late", ColumnType.INTEGER, editable=False, width=9),
        Column(
            "slipped",
            "Slipped (days)",
            ColumnType.INTEGER,
            editable=False,
            width=10,
            note="Days between the first agreed due date and the current one.",
        ),
        Column("waiting_on", "Waiting on", ColumnType.TEXT, editable=False, width=24),
        Column("projected_finish", "Projected finish", ColumnType.DATE, editable=False, width=14),
        Column(
            "sync_note",
            "Sync note",
            ColumnType.TEXT,
            editable=False,
            width=44,
            note="What the sync could not understand on this row, and what to type instead.",
        ),
    ),
)

STAKEHOLDERS = Tab(
    name="Stakeholders",
    required=("name",),
    columns=(
        Column(
            "name",
            "Name",
            ColumnType.TEXT,
            editable=True,
            aliases=("Person", "Stakeholder", "Full name", "Contact"),
            width=22,
        ),
        Column(
            "email",
            "Email",
            ColumnType.EMAIL,
            editable=True,
            aliases=("E-mail", "Email address", "Contact email"),
            width=28,
        ),
        Column(
            "side",
            "Side",
            ColumnType.SIDE,
            editable=True,
            aliases=("Company", "Team", "Buyer/Seller", "Organisation", "Organization"),
            validation=SIDE_CHOICES,
            width=9,
        ),
        Column(
            "role",
            "Role",
            ColumnType.ROLE,
            editable=True,
            aliases=("Title", "Function", "Role in decision", "Position"),
            validation=ROLE_CHOICES,
            width=20,
        ),
        Column(
            "decision_authority",
            "Decision authority",
            ColumnType.TEXT,
            editable=True,
            aliases=("Authority", "Decision role", "Influence", "Approval"),
            width=20,
        ),
        Column(
            "notes",
            "Notes",
            ColumnType.TEXT,
            editable=True,
            aliases=("Comments", "Comment"),
            width=30,
        ),
    ),
)

RISKS = Tab(
    name="Risks",
    required=("risk",),
    columns=(
        Column(
            "risk",
            "Risk",
            ColumnType.TEXT,
            editable=True,
            aliases=("Issue", "Concern", "Open question"),
            width=40,
        ),
        Column("owner", "Owner", ColumnType.PEOPLE, editable=True, width=18),
        Column(
            "mitigation",
            "Mitigation",
            ColumnType.TEXT,
            editable=True,
            aliases=("Plan", "Mitigation plan", "Resolution"),
            width=40,
        ),
        Column(
            "status",
            "Status",
            ColumnType.TEXT,
            editable=True,
            validation=("Open", "Mitigating", "Closed"),
            width=12,
        ),
        Column(
            "raised_on",
            "Raised on",
            ColumnType.DATE,
            editable=True,
            aliases=("Raised", "Date raised", "Opened"),
            width=13,
        ),
    ),
)

DECISION_CRITERIA = Tab(
    name="Decision criteria",
    required=("criterion",),
    columns=(
        Column(
            "criterion",
            "Criterion",
            ColumnType.TEXT,
            editable=True,
            aliases=("Criteria", "Requirement", "Success criterion"),
            width=40,
        ),
        Column(
            "who_decides",
            "Who decides",
            ColumnType.PEOPLE,
            editable=True,
            aliases=("Decider", "Owner", "Approver"),
            width=20,
        ),
        Column(
            "how_shown",
            "How it will be shown",
            ColumnType.TEXT,
            editable=True,
            aliases=("Evidence", "How shown", "Proof", "Measured by"),
            width=36,
        ),
        Column(
            "status",
            "Status",
            ColumnType.TEXT,
            editable=True,
            validation=("Not yet shown", "Shown", "Agreed"),
            width=14,
        ),
    ),
)

KIND_CHOICES = tuple(k.label for k in ResourceKind)

# What the deal needs on paper: the security package, the proposal, the ROI model, the
# contract. One row per resource, both sides add rows; the sync checks each link's form
# (a Drive or Docs link also with Drive itself) and never requests a typed address.
RESOURCES = Tab(
    name="Resources",
    required=("title",),
    columns=(
        Column(
            "title",
            "Resource",
            ColumnType.TEXT,
            editable=True,
            aliases=(
                "Title",
                "Document",
                "Name",
                "Resource name",
                "Document name",
                "File",
                "Asset",
                "Material",
            ),
            width=34,
        ),
        Column(
            "kind",
            "Kind",
            ColumnType.TEXT,
            editable=True,
            aliases=("Type", "Category", "Resource type"),
            validation=KIND_CHOICES,
            width=12,
        ),
        Column(
            "step",
            "For step",
            ColumnType.IDS,
            editable=True,
            aliases=("Step", "Step ID", "Needed for", "Supports", "Serves", "Related step"),
            width=10,
            note="The ID of the step this resource serves (S05), from the Plan tab.",
        ),
        Column(
            "link",
            "Link",
            ColumnType.LINK,
            editable=True,
            aliases=("URL", "Link / URL", "Location", "Where", "Document link", "Href"),
            width=40,
            note="The full address, https://... Leave it empty until the resource is shared.",
        ),
        Column(
            "side",
            "Side",
            ColumnType.SIDE,
            editable=True,
            aliases=("From", "Provided by side", "Buyer/Seller", "Whose"),
            validation=SIDE_CHOICES,
            width=9,
        ),
        Column(
            "provider",
            "Provided by",
            ColumnType.PEOPLE,
            editable=True,
            aliases=("Provider", "Owner", "Contact", "Shared by", "Who"),
            width=18,
        ),
        Column(
            "shared_on",
            "Shared on",
            ColumnType.DATE,
            editable=True,
            aliases=("Shared", "Date shared", "Sent on", "Sent", "Added on", "Date"),
            width=12,
        ),
        Column(
            "notes",
            "Notes",
            ColumnType.TEXT,
            editable=True,
            aliases=("Comments", "Comment", "Description"),
            width=28,
        ),
        Column(
            "sync_note",
            "Sync note",
            ColumnType.TEXT,
            editable=False,
            width=40,
            note="What the sync found wrong with this row's link, and what to do about it.",
        ),
    ),
)

# The Summary tab is computed whole: a label column and a value column.
SUMMARY_FIELDS: tuple[SummaryField, ...] = (
    SummaryField("deal", "Deal"),
    SummaryField("desired_outcome", "Desired outcome"),
    SummaryField("target_close", "Target close"),
    SummaryField("close_reason", "Why that date"),
    SummaryField("projected_close", "Projected close"),
    SummaryField("health", "Plan health"),
    SummaryField("buyer_steps", "Buyer steps done"),
    SummaryField("next_step", "Next step"),
    SummaryField("current_blocker", "Current blocker"),
    SummaryField("last_buyer_update", "Last buyer update"),
    SummaryField("stale", "Stale"),
    SummaryField("doc_link", "MAP document"),
    SummaryField("sync_notes", "Sync notes"),
    SummaryField("last_sync", "Last synced"),
)
SUMMARY = Tab(
    name="Summary",
    title_rows=2,
    columns=(
        Column("label", "Item", ColumnType.TEXT, editable=False, width=22),
        Column("value", "Value", ColumnType.TEXT, editable=False, width=70),
    ),
)

TABS: tuple[Tab, ...] = (PLAN, STAKEHOLDERS, RESOURCES, RISKS, DECISION_CRITERIA, SUMMARY)
EDITABLE_TABS: tuple[Tab, ...] = (PLAN, STAKEHOLDERS, RESOURCES, RISKS, DECISION_CRITERIA)


_BUYER_WORDS = frozenset({"buyer", "customer", "client", "prospect", "them", "their", "account"})
_SELLER_WORDS = frozenset(
    {
        "seller",
        "vendor",
        "supplier",
        "us",
        "our",
        "we",
        "your",
        "company",
        "internal",
        "sales",
        "rep",
    }
)
_OWNER_WORDS = frozenset({"owner", "owners", "responsible", "lead", "assignee", "who", "dri"})


def match_header(tab: Tab, text: str) -> str | None:
    """The column key a header names: exact names and aliases first, then, on the Plan tab,
    'Owner (Customer)' / 'Owner (Your Company)' style headers by their words."""
    name = normalise_header(text)
    index = _INDEXES.get(tab.name)
    key = (index if index is not None else header_index(tab)).get(name)
    if key is not None or tab.name != "Plan":
        return key
    words = set(name.split())
    if words & _OWNER_WORDS:
        if words & _BUYER_WORDS:
            return "buyer_owner"
        if words & _SELLER_WORDS:
            return "seller_owner"
    return None


def header_index(tab: Tab) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in tab.columns:
        for name in col.names():
            index.setdefault(normalise_header(name), col.key)
    return index


# Built once: the parser asks for every text cell near the top of every tab.
_INDEXES: dict[str, dict[str, str]] = {tab.name: header_index(tab) for tab in TABS}
