"""The MAP workbook, declared once: vocabulary, tabs and columns, and the deal-size templates.

Every writer (local .xlsx, Google Sheets) and every reader (the parser) takes its tabs,
headers, aliases and validation from here, so they cannot disagree.
"""

from sheets_schema.vocab import (
    ColumnType,
    Health,
    MapHealth,
    ResourceKind,
    Role,
    Side,
    Status,
)
from sheets_schema.workbook import (
    DECISION_CRITERIA,
    PLAN,
    RESOURCES,
    RISKS,
    STAKEHOLDERS,
    SUMMARY,
    TABS,
    Column,
    SummaryField,
    Tab,
)

__all__ = [
    "DECISION_CRITERIA",
    "PLAN",
    "RESOURCES",
    "RISKS",
    "STAKEHOLDERS",
    "SUMMARY",
    "TABS",
    "Column",
    "ColumnType",
    "Health",
    "MapHealth",
    "ResourceKind",
    "Role",
    "Side",
    "Status",
    "SummaryField",
    "Tab",
]
