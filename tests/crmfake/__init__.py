"""Offline fakes of the CRMs the product writes to (Salesforce, HubSpot), served over real
HTTPS on loopback so the vendors' own Python clients (simple-salesforce,
hubspot-api-client) talk to them unchanged. Each modelled behaviour cites the vendor's
documentation page where it is implemented; what no page confirms is marked ASSUMPTION
and listed in the fake's `ASSUMPTIONS`.
"""
