"""What the Salesforce fake does that no Salesforce page (or user report) we found
confirms. Each entry is marked `ASSUMPTION` where it is implemented in `salesforce.py`."""

from __future__ import annotations

from tests.assumption_table import Assumption, table

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "jwt-expired",
        "An assertion whose exp has passed is refused 400 invalid_grant "
        "'expired authorization code'; one whose exp is more than 3 minutes ahead, "
        "'invalid assertion'.",
        "Salesforce documents the 3-minute exp rule and the invalid_grant error shape, but "
        "not the error_description for each failed claim.",
    ),
    Assumption(
        "jwt-user",
        "A sub that is no user, or a user the app does not pre-authorize, gets invalid_grant "
        "'user hasn't approved this consumer'; an inactive user gets 'inactive user'.",
        "'user hasn't approved this consumer' is widely reported (restforce#674) but for the "
        "approval case; the unknown- and inactive-user wordings are not documented.",
    ),
    Assumption(
        "oauth-unknown-client",
        "An unknown consumer key (iss or client_id) gets 400 invalid_client_id "
        "'client identifier invalid'.",
        "Reported by users of the web-server flow; not documented for JWT or client credentials.",
    ),
    Assumption(
        "oauth-login-urls",
        "The JWT aud may be https://login.salesforce.com, https://test.salesforce.com or the "
        "fake's own base URL (standing in for the org's My Domain login URL).",
        "The docs list login/test/Experience Cloud URLs; My Domain acceptance is reported, "
        "not documented.",
    ),
    Assumption(
        "usage-counting",
        "Every authenticated REST call (including refused ones) counts once toward "
        "api-usage in a rolling 24 hours; token calls and 401s do not count.",
        "Salesforce documents the header and the daily limit, not which failed calls count.",
    ),
    Assumption(
        "collections-unknown-field",
        "In sObject Collections, a field that does not exist (or is hidden by field-level "
        "security) refuses the WHOLE request 400 INVALID_FIELD \"No such column 'X' on "
        'sobject of type Opportunity" (the body is deserialised before any record is saved); '
        "wrong JSON types likewise refuse the whole request with JSON_PARSER_ERROR.",
        "The 'No such column ... on sobject of type' wording is widely reported for single "
        "record writes; no page or report shows a collections body with one.",
    ),
    Assumption(
        "collections-over-200",
        "More than 200 records: 400 [{errorCode EXCEEDED_ID_LIMIT, message 'record limit "
        "reached. cannot submit more than 200 records into this call'}].",
        "The 200 limit is documented; the code and wording come from SOAP-era reports "
        "(restforce#726, Beatbox#3), not from a REST page.",
    ),
    Assumption(
        "collections-unknown-id",
        "A well-formed id of the right type that does not exist fails alone with "
        "INVALID_CROSS_REFERENCE_KEY 'invalid cross reference id'; an id of another "
        "object's key prefix fails with MALFORMED_ID.",
        "MALFORMED_ID is in the docs' example; the unknown-id code is not documented.",
    ),
    Assumption(
        "reference-checks",
        "A lookup (e.g. AccountId) set to an id of the wrong object fails with "
        "FIELD_INTEGRITY_EXCEPTION '<Label>: id value of incorrect type: <id>'.",
        "Reported wording; the exact label used is not documented.",
    ),
    Assumption(
        "json-parser-column",
        "JSON_PARSER_ERROR messages say 'Cannot deserialize instance of <type> from "
        "VALUE_STRING value <v> or request may be missing a required field at [line:1, "
        "column:N]' with N computed approximately.",
        "The wording is reported by users; the column Salesforce computes is not reproducible.",
    ),
    Assumption(
        "soql-messages",
        "MALFORMED_QUERY says \"unexpected token: '<tok>'\" (or <EOF>) in Salesforce's "
        "located form; INVALID_QUERY_FILTER_OPERATOR is raised for a quoted value against a "
        "date/number/boolean field.",
        "The located form and INVALID_FIELD/INVALID_TYPE wording are reported verbatim; the "
        "exact token quoting varies in reports.",
    ),
    Assumption(
        "stage-defaults",
        "Developer Edition stages: Prospecting 10, Qualification 10, Needs Analysis 20, Value "
        "Proposition 50, Id. Decision Makers 60, Perception Analysis 70, Proposal/Price Quote "
        "75, Negotiation/Review 90 (Pipeline); Closed Won 100 (Closed, won); Closed Lost 0 "
        "(Omitted, closed).",
        "Names and order are the well-known defaults; no page we could reach lists the "
        "probabilities and forecast categories of a fresh org.",
    ),
    Assumption(
        "tooling-field-errors",
        "CustomField create: duplicate -> DUPLICATE_DEVELOPER_NAME; Number/Percent without "
        "precision/scale, Text without length, a type outside the modelled ones, or a name "
        "without __c -> FIELD_INTEGRITY_EXCEPTION with Metadata API-style wording; an unknown "
        "Metadata property -> JSON_PARSER_ERROR 'Unexpected parameter encountered during "
        "deserialization'.",
        "DUPLICATE_DEVELOPER_NAME is reported for metadata names; the exact field-definition "
        "messages from the Tooling API are not documented.",
    ),
    Assumption(
        "formula-errors",
        "A validation rule formula using an unsupported function is refused 400 "
        "FIELD_INTEGRITY_EXCEPTION 'Error: Unknown function X. Check spelling.' (fields "
        "['errorConditionFormula']); unknown fields and syntax errors likewise.",
        "The messages are the formula editor's; the Tooling API's errorCode is not documented.",
    ),
    Assumption(
        "setup-permissions",
        "Every authenticated user may create PermissionSet, FieldPermissions, "
        "PermissionSetAssignment, CustomField, ValidationRule and edit Layouts; standard "
        "fields are always readable (and editable where the field is) by every user.",
        "Real orgs require admin permissions (Customize Application, Manage Users); the fake "
        "models only custom-field FLS.",
    ),
    Assumption(
        "setup-duplicates",
        "Duplicate PermissionSet Name / FieldPermissions (ParentId, Field) / "
        "PermissionSetAssignment (AssigneeId, PermissionSetId) fail with DUPLICATE_VALUE "
        "'duplicate value found: <field> duplicates value on record with id: <id>'.",
        "DUPLICATE_VALUE is the documented status code; the field named in the message is "
        "not documented for these objects.",
    ),
    Assumption(
        "validation-on-insert",
        "Active validation rules also run on Opportunity inserts, with ISCHANGED false and "
        "PRIORVALUE the new value; every failing rule is reported.",
        "Documented behaviour for ISCHANGED on insert is 'not available'; the fake picks false.",
    ),
    Assumption(
        "stage-probability",
        "A StageName change sets Probability and ForecastCategoryName to the stage's "
        "defaults unless the same write sets them.",
        "Documented for the UI; that an explicit value in the same API write wins is "
        "reported, not documented.",
    ),
    Assumption(
        "tooling-patch-replaces",
        "PATCH tooling/sobjects/ValidationRule/{id} or Layout/{id} with {'Metadata': ...} "
        "replaces the whole Metadata; a ValidationRule PATCH without errorConditionFormula "
        "or errorMessage is refused REQUIRED_FIELD_MISSING.",
        "The Tooling API docs say Metadata is updated as a whole but do not give the error "
        "for an incomplete one.",
    ),
    Assumption(
        "fault-bodies",
        "Injected faults without a body answer Salesforce's error list shape with a code "
        "chosen by status (401 INVALID_SESSION_ID, 403 REQUEST_LIMIT_EXCEEDED, 500 "
        "UNKNOWN_EXCEPTION, 503 SERVER_UNAVAILABLE, else UNKNOWN_EXCEPTION).",
        "Test scaffolding, not a claim about Salesforce.",
    ),
)


def markdown() -> str:
    """The table the README carries (`python -m tests.crmfake.salesforce_assumptions`)."""
    return table(ASSUMPTIONS)


if __name__ == "__main__":
    print(markdown())
