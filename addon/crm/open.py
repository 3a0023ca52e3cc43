"""The CRM the settings name (MAP_CRM), or None: everything else works without one."""

from __future__ import annotations

from addon.config import Settings
from addon.crm.base import Crm


def open_crm(settings: Settings) -> Crm | None:
    """The configured CRM's adapter. Bad settings fail here, when the service starts, with
    the setting to fix; nothing is called until the CRM is first used."""
    if settings.crm == "salesforce":
        from addon.crm.salesforce import SalesforceCrm

        return SalesforceCrm(settings)
    if settings.crm == "hubspot":
        from addon.crm.hubspot import HubSpotCrm

        return HubSpotCrm(settings)
    return None
