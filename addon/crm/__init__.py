"""The CRM side of a MAP: Salesforce and HubSpot deals carry each plan's signals.

| module | holds |
| --- | --- |
| `base.py` | the `Crm` interface, what a read or a batch of writes returns |
| `salesforce.py` | Opportunities through simple-salesforce (External Client App login) |
| `hubspot.py` | deals through hubspot-api-client (service key) |
| `links.py` | linking a MAP to its deal; after each sync: signals, stage moves, gaps |
| `open.py` | the adapter MAP_CRM names |

The values themselves (which signals, what changed, where a milestone moves the stage,
which deals lack a plan) are pure and live in `addon/plan/crm.py`.
"""
