"""The event object Google posts to an HTTP add-on endpoint, typed.

Fields follow Google's "Event objects" reference for Workspace add-ons; unknown fields are
ignored (Google adds fields), and the ones we read are checked. A date picker's value comes
as `dateInput.msSinceEpoch`: for a DATE_ONLY picker that is midnight UTC of the chosen day,
so it is read as a calendar date in UTC, never shifted by the rep's time zone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class TimeZone(_Model):
    id: str = "UTC"
    offset: int = 0


class StringInputs(_Model):
    value: list[str] = Field(default_factory=list)


class DateInput(_Model):
    ms_since_epoch: int = Field(alias="msSinceEpoch")


class FormInput(_Model):
    string_inputs: StringInputs | None = Field(default=None, alias="stringInputs")
    date_input: DateInput | None = Field(default=None, alias="dateInput")


class Common(_Model):
    host_app: str = Field(default="", alias="hostApp")
    platform: str = ""
    user_locale: str = Field(default="en", alias="userLocale")
    time_zone: TimeZone | None = Field(default=None, alias="timeZone")
    form_inputs: dict[str, FormInput] = Field(default_factory=dict, alias="formInputs")
    parameters: dict[str, str] = Field(default_factory=dict)


class Authorization(_Model):
    user_oauth_token: str = Field(default="", alias="userOAuthToken")
    user_id_token: str = Field(default="", alias="userIdToken")
    system_id_token: str = Field(default="", alias="systemIdToken")
    authorized_scopes: list[str] | None = Field(default=None, alias="authorizedScopes")


class Gmail(_Model):
    message_id: str = Field(default="", alias="messageId")
    thread_id: str = Field(default="", alias="threadId")
    access_token: str = Field(default="", alias="accessToken")


class DriveItem(_Model):
    id: str
    title: str = ""
    mime_type: str = Field(default="", alias="mimeType")
    # The rep granted the add-on this one file (drive.file, through requestFileScope).
    addon_has_file_scope_permission: bool = Field(
        default=False, alias="addonHasFileScopePermission"
    )


class Drive(_Model):
    selected_items: list[DriveItem] = Field(default_factory=list, alias="selectedItems")
    active_cursor_item: DriveItem | None = Field(default=None, alias="activeCursorItem")


class Event(_Model):
    common: Common = Field(default_factory=Common, alias="commonEventObject")
    auth: Authorization = Field(default_factory=Authorization, alias="authorizationEventObject")
    gmail: Gmail | None = None
    drive: Drive | None = None

    def text(self, name: str) -> str:
        """A text or dropdown input's value ('' when the rep left it empty)."""
        found = self.common.form_inputs.get(name)
        if found is None or found.string_inputs is None:
            return ""
        return ", ".join(v for v in found.string_inputs.value if v).strip()

    def texts(self, name: str) -> list[str]:
        found = self.common.form_inputs.get(name)
        if found is None or found.string_inputs is None:
            return []
        return [v for v in found.string_inputs.value if v.strip()]

    def day(self, name: str) -> date | None:
        found = self.common.form_inputs.get(name)
        if found is None or found.date_input is None:
            return None
        return datetime.fromtimestamp(found.date_input.ms_since_epoch / 1000, UTC).date()

    def param(self, key: str) -> str:
        return self.common.parameters.get(key, "")

    @property
    def zone(self) -> str:
        return self.common.time_zone.id if self.common.time_zone else "UTC"

    @property
    def locale(self) -> str:
        """The rep's locale in the sheet's form (en_US), from Google's BCP 47 tag (en-US)."""
        tag = self.common.user_locale.replace("-", "_")
        lang, _, region = tag.partition("_")
        return f"{lang.lower()}_{region.upper()}" if region else lang.lower()
