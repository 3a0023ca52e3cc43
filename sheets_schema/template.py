"""Deal-size templates: YAML files of steps, validated at load.

A template lists the steps of a plan as done-states, who owns each, its due date as an
offset from the target close, how long it takes, what it depends on, which step is the
signature, and the agreed consequence if it slips. Built-in templates live in
`sheets_schema/templates/`; a team adds its own by dropping a `NAME.yaml` into the folder
named by `MAP_TEMPLATE_DIR` (a team file with a built-in's name replaces it).

Loading reads files; everything after that works on the returned `Template` values.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sheets_schema.vocab import BUYER_ROLES, SELLER_ROLES, ResourceKind, Role, Side

BUILTIN_DIR = Path(__file__).parent / "templates"
SIZE_LIMITS: dict[str, tuple[int, int]] = {
    "smb": (5, 8),
    "mid_market": (10, 15),
    "enterprise": (15, 25),
}
CUSTOM_LIMITS = (1, 60)


class TemplateError(ValueError):
    """A template file is wrong; the message names the file, the step and the field."""

    def __init__(
        self, file: str, message: str, step: str | None = None, field: str | None = None
    ) -> None:
        where = file
        if step:
            where += f", step {step}"
        if field:
            where += f", field {field}"
        super().__init__(f"{where}: {message}")
        self.file, self.step, self.field = file, step, field


class Consequence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    threshold_days: int = Field(ge=1, le=60)
    text: str = Field(min_length=3, max_length=300)


class TemplateResource(BaseModel):
    """A document the step needs: a new MAP lists it on the Resources tab, link empty."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=3, max_length=120)
    kind: ResourceKind
    side: Side = Side.SELLER  # who provides it: buyer or seller
    provider_role: Role | None = None  # named from the step's owners of that side


class TemplateStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    phase: str = Field(min_length=1, max_length=40)
    step: str = Field(min_length=3, max_length=120)
    side: Side
    buyer_owner_role: Role | None = None
    seller_owner_role: Role | None = None
    offset_days: int = Field(ge=-400, le=400)
    duration_days: int = Field(ge=1, le=180)
    depends_on: tuple[str, ...] = ()
    signature: bool = False
    consequence: Consequence | None = None
    # The CRM stage (name or id) this step's completion moves the deal to, for teams that
    # opt in (MAP_CRM_STAGE_TEAMS): forward only, in the pipeline's own order.
    crm_stage: str | None = Field(default=None, min_length=1, max_length=80)
    # The documents this step needs (the security package, the ROI model).
    resources: tuple[TemplateResource, ...] = ()


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1, max_length=40)
    description: str = Field(min_length=1, max_length=400)
    steps: tuple[TemplateStep, ...]

    @property
    def signature_step(self) -> TemplateStep:
        return next(s for s in self.steps if s.signature)

    @property
    def span_days(self) -> int:
        return -min(s.offset_days - s.duration_days for s in self.steps)


def _check(template: Template, file: str) -> None:
    low, high = SIZE_LIMITS.get(template.name, CUSTOM_LIMITS)
    if not low <= len(template.steps) <= high:
        raise TemplateError(
            file,
            f"has {len(template.steps)} steps; a {template.name} template has {low} to {high}",
            field="steps",
        )
    seen: dict[str, TemplateStep] = {}
    for step in template.steps:
        if step.key in seen:
            raise TemplateError(file, "the key is used twice", step.key, "key")
        for dep in step.depends_on:
            if dep == step.key:
                raise TemplateError(file, "a step cannot depend on itself", step.key, "depends_on")
            if dep not in seen:
                raise TemplateError(
                    file,
                    f"depends on {dep!r}, which is not an earlier step",
                    step.key,
                    "depends_on",
                )
            need = seen[dep].offset_days + step.duration_days
            if step.offset_days < need:
                raise TemplateError(
                    file,
                    f"offset_days {step.offset_days} leaves no room after {dep!r} "
                    f"(needs at least {need}: {dep}'s offset plus this step's duration)",
                    step.key,
                    "offset_days",
                )
        if step.side in (Side.BUYER, Side.BOTH) and step.buyer_owner_role is None:
            raise TemplateError(
                file, f"a {step.side} step names the buyer_owner_role", step.key, "buyer_owner_role"
            )
        if step.side in (Side.SELLER, Side.BOTH) and step.seller_owner_role is None:
            raise TemplateError(
                file,
                f"a {step.side} step names the seller_owner_role",
                step.key,
                "seller_owner_role",
            )
        if step.buyer_owner_role is not None and step.buyer_owner_role not in BUYER_ROLES:
            raise TemplateError(
                file, f"{step.buyer_owner_role} is a seller role", step.key, "buyer_owner_role"
            )
        if step.seller_owner_role is not None and step.seller_owner_role not in SELLER_ROLES:
            raise TemplateError(
                file, f"{step.seller_owner_role} is a buyer role", step.key, "seller_owner_role"
            )
        for res in step.resources:
            if res.side is Side.BOTH:
                raise TemplateError(
                    file, f"resource {res.title!r}: side is buyer or seller", step.key, "resources"
                )
            allowed = BUYER_ROLES if res.side is Side.BUYER else SELLER_ROLES
            if res.provider_role is not None and res.provider_role not in allowed:
                raise TemplateError(
                    file,
                    f"resource {res.title!r}: {res.provider_role} is not a {res.side} role",
                    step.key,
                    "resources",
                )
        titles = [r.title.lower() for r in step.resources]
        if len(set(titles)) != len(titles):
            raise TemplateError(file, "a resource is listed twice", step.key, "resources")
        seen[step.key] = step
    signatures = [s.key for s in template.steps if s.signature]
    if len(signatures) != 1:
        raise TemplateError(
            file,
            f"marks {len(signatures)} steps as the signature "
            f"({', '.join(signatures) or 'none'}); mark exactly one",
            field="signature",
        )


def parse_template(data: Any, file: str) -> Template:
    """Validate one template's data (as loaded from YAML)."""
    if not isinstance(data, dict):
        raise TemplateError(file, "is not a mapping of name, label, description, steps")
    try:
        template = Template.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        step = None
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            raw_steps = data.get("steps") or []
            raw = raw_steps[loc[1]] if loc[1] < len(raw_steps) else {}
            key = raw.get("key") if isinstance(raw, dict) else None
            step = f"#{loc[1] + 1}" + (f" ({key})" if key else "")
            loc = loc[2:]
        field = ".".join(str(part) for part in loc) or None
        raise TemplateError(file, err["msg"], step, field) from None
    if template.name != Path(file).stem:
        raise TemplateError(
            file, f"name {template.name!r} differs from the file name", field="name"
        )
    _check(template, file)
    return template


def load_template_file(path: Path) -> Template:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise TemplateError(str(path), f"is not valid YAML: {exc}") from None
    return parse_template(data, str(path))


def load_templates(extra_dirs: Iterable[Path] = ()) -> dict[str, Template]:
    """Built-in templates, then each extra folder's (a later file replaces an earlier name)."""
    templates: dict[str, Template] = {}
    for folder in (BUILTIN_DIR, *extra_dirs):
        if not folder.is_dir():
            raise TemplateError(str(folder), "is not a folder of template files")
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            template = load_template_file(path)
            templates[template.name] = template
    return templates
