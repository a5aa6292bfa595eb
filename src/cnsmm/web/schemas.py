"""Shapes of the JSON API's answers, for the OpenAPI document.

The handlers return plain dictionaries (encoded without a validation pass, which matters at a
few hundred requests per second); these models describe them, and the API property tests
check every answer against them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    """Documented fields; others may follow in later versions."""

    model_config = ConfigDict(extra="allow")


class MeOut(BaseModel):
    """The caller."""

    name: str
    admin: bool
    via: str
    """``session`` or ``token``."""
    roles: dict[str, str]
    """Role per project."""


class ProjectOut(BaseModel):
    """A project the caller may see, with the caller's role in it."""

    name: str
    role: str


class OrgProjectOut(BaseModel):
    """One project's open work, for the organisation view."""

    project: str
    role: str
    open_by_severity: dict[str, int]
    open: int
    overdue: int = Field(description="Open findings past their due date (SLA breaches)")
    risk_accepted: int
    fixed: int
    maturity: int | None = Field(description="Overall level of the latest assessment, if any")
    maturity_change: int | None = Field(description="Change of the overall level since the assessment before it")


class OrgHit(_Open):
    """A finding found by a cross-project search."""

    project: str
    id: int
    severity: str
    status: str
    title: str
    rule: str


class OrgSearchOut(BaseModel):
    """Where a CVE or rule is found, in the projects the caller may see."""

    term: str
    counts: dict[str, int] = Field(description="Matching findings per project (exact)")
    findings: list[OrgHit] = Field(description="The first 200, by project and severity")
    truncated: bool


class FindingItem(_Open):
    """A finding in a list."""

    id: int
    fingerprint: str
    status: str
    severity: str
    title: str
    rule: str
    category: str
    owner: str | None
    due: str | None
    """ISO date."""
    file: str | None
    line: int | None
    resource: str | None
    image: str | None
    component: str | None
    first_seen: str
    """ISO date and time (UTC)."""
    regression: bool
    tools: list[str]


class FindingsPageOut(BaseModel):
    """A page of a findings list."""

    items: list[FindingItem]
    total: int
    total_exact: bool
    has_more: bool
    next_cursor: str | None
    """Pass as ``after`` for the next page; null on the last page."""
    page: int
    per_page: int


class SourceOut(_Open):
    """A tool and scope that reported the finding."""

    tool: str
    scope: str
    active: bool
    first_seen: str | None
    last_seen: str | None
    repository: str | None = Field(default=None, description="Repository of the stream's latest scan, when known")
    commit: str | None = Field(default=None, description="Commit of the stream's latest scan, when known")


class HistoryOut(BaseModel):
    """A status change (``from`` is null when the finding was new)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    at: str
    actor: str
    from_: str | None = Field(alias="from")
    to: str
    reason: str | None


class CommentOut(BaseModel):
    """A comment."""

    at: str
    author: str
    text: str


class FindingOut(_Open):
    """A finding with its sources, status history and comments."""

    id: int
    status: str
    severity: str
    title: str
    message: str
    rule: str
    description: str | None
    reference: str | None
    severity_source: str = Field(description="`tool` when the tool graded the finding, `cnsmm` when cnsmm "
                                             "assigned the severity (the tool gives none)")
    sources: list[SourceOut]
    history: list[HistoryOut]
    comments: list[CommentOut]


class OwnerOverdue(BaseModel):
    """An owner and the number of their open findings past the due date."""

    owner: str
    overdue: int


class TrendPoint(BaseModel):
    """An assessment's overall level and the level of each domain."""

    id: int
    at: str
    overall: int
    domains: dict[str, int] = Field(default_factory=dict)
    """Domain id to level, as the assessment document gives them."""


class OverviewOut(BaseModel):
    """A project's overview figures."""

    open_by_severity: dict[str, int]
    sla_breaches: int
    top_overdue_owners: list[OwnerOverdue]
    maturity_trend: list[TrendPoint]


class JobOut(BaseModel):
    """A background job."""

    id: str
    status: str
    """``queued``, ``running``, ``done`` or ``failed``."""
    kind: str
    result: dict[str, Any] | None
    error: str | None
    created_at: str


class AssessmentSummary(BaseModel):
    """A stored assessment."""

    id: int
    at: str
    by: str
    overall: int


def ok(model: type[BaseModel] | Any) -> dict[int | str, dict[str, Any]]:
    """``responses=`` documenting the 200 answer as ``model``."""
    return {200: {"model": model}}
