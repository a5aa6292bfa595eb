"""Owner rules and CODEOWNERS."""

from __future__ import annotations

import pytest

from cnsmm.errors import ConfigError
from cnsmm.tracking.owners import OwnerResolver, glob_to_regex, load_owner_file, parse_owner_rules

OWNERS_YAML = """\
owners:
  - owner: team-payments
    paths: ["services/payments/**"]
    namespaces: ["payments", "payments-*"]
  - owner: team-platform
    images: ["registry.example.com/platform/*"]
    labels: {team: platform}
  - owner: team-docs
    paths: docs/
"""

CODEOWNERS = """\
# Fallback for everything
*                   @example-org/security
*.js                @example-org/frontend
/build/logs/        @example-org/ci
docs/*              docs@example.com
apps/               @example-org/apps
/apps/github                              # no owner: unsets apps/ for this path
"""


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.js", "web/src/app.js", True),
        ("/build/logs/", "build/logs/2026/out.txt", True),
        ("/build/logs/", "x/build/logs/out.txt", False),
        ("docs/*", "docs/getting-started.md", True),
        ("docs/*", "docs/build-app/troubleshooting.md", False),
        ("apps/", "deep/apps/x.yaml", True),
        ("**/logs", "a/b/logs/c.txt", True),
        ("services/payments/**", "services/payments/api/values.yaml", True),
        ("services/payments/**", "services/pay/values.yaml", False),
    ],
)
def test_globs_follow_codeowners_semantics(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_to_regex(pattern).match(path)) is matches


def test_rules_first_match_then_codeowners_last_match() -> None:
    resolver = OwnerResolver(parse_owner_rules(load_owner_file(OWNERS_YAML, "owners.yaml"), "owners.yaml"), CODEOWNERS)
    assert resolver.owner("services/payments/api/deploy.yaml", None, None) == "team-payments"
    assert resolver.owner(None, None, "Deployment/payments-eu/api") == "team-payments"
    assert resolver.owner(None, "registry.example.com/platform/ingress:1.2", None) == "team-platform"
    assert resolver.owner(None, None, "Pod/misc/x", {"team": "platform"}) == "team-platform"
    assert resolver.owner("docs/a/b.md", None, None) == "team-docs"
    assert resolver.owner("web/src/app.js", None, None) == "@example-org/frontend"
    assert resolver.owner("build/logs/x.txt", None, None) == "@example-org/ci"
    assert resolver.owner("apps/api/x.yaml", None, None) == "@example-org/apps"
    assert resolver.owner("apps/github/x.yaml", None, None) is None
    assert resolver.owner("Dockerfile", None, None) == "@example-org/security"
    assert resolver.owner(None, "nginx:1.25", "Deployment/default/web") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("owners:\n  - paths: [a]\n", "owner rule #1: 'owner' is missing"),
        ("owners:\n  - owner: x\n    path: [a]\n", "unknown key\\(s\\) path"),
        ("owners:\n  - owner: x\n    images: 3\n", "expected a string or a list of strings"),
        ("owners: {a: 1}\n", "expected a list under 'owners'"),
        ("owners:\n  - owner: [x\n", "owners.yaml:\\d+: invalid YAML"),
    ],
)
def test_bad_owner_files_name_the_file_and_the_problem(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_owner_file(text, "owners.yaml")
