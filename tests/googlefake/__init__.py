"""An offline fake of the Google APIs the product uses, speaking the real wire format.

Every request is checked against the discovery documents bundled in google-api-python-client
(`discovery.py`): unknown query parameters or body fields, wrong enums, wrong types and
missing required parameters answer 400 in Google's error shape. Behaviours modelled on
Google's documentation cite it where they are implemented (`sheets.py`).
"""
