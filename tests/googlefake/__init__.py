"""An offline fake of the Google APIs the product uses, speaking the real wire format.

Every request is checked against the discovery documents bundled in google-api-python-client
(`discovery.py`): unknown query parameters or body fields, wrong enums, wrong types and
missing required parameters answer 400 in Google's error shape. A fake is a claim about
someone else's system: behaviours modelled on Google's documentation cite it where they are
implemented (`server.py` for access, shared drives and faults, `drive.py`, `sheets.py` for
spreadsheet state and batchUpdate, `formulas.py` for locale parsing); where Google refuses,
the fake refuses the same way (status, errors[].reason, message). What no page confirms is
marked UNCONFIRMED or ASSUMPTION in the code and listed in `assumptions.ASSUMPTIONS`.
"""
