"""Helpers behind the DKR rules: shell splitting, modes, secret shapes, options."""

from __future__ import annotations

import pytest

from cnsmm.rules import RuleContext, get_rule
from cnsmm.rules.docker._shell import split_script
from cnsmm.rules.docker.permissions import sets_id_bit, world_writable
from cnsmm.rules.docker.secrets import secret_name, secret_shape
from cnsmm.rules.docker.user import is_root
from cnsmm.scan import analyze_file
from cnsmm.sources.dockerfile import ANALYZER


def test_split_script_unwraps_sudo_env_and_assignments_and_tracks_pipes() -> None:
    commands = split_script(
        "set -eux; DEBIAN_FRONTEND=noninteractive sudo -u root -E apt-get install -y curl "
        "> /dev/null 2>&1 && curl -fsSL https://x | tee /tmp/x | sh -s -- -y || true"
    )
    names = [c.name for c in commands]
    assert names == ["set", "apt-get", "curl", "tee", "sh", "true"]
    apt = commands[1]
    assert apt.sudo and apt.args == ("install", "-y", "curl")
    assert commands[4].piped_from == ("curl", "tee")
    assert commands[5].piped_from == ()


def test_split_script_reads_nested_sh_c_and_heredoc_lines() -> None:
    commands = split_script("sh -c 'apk add --no-cache git && git --version'\nif true; then\n  pip \\\n install x\nfi")
    assert [c.name for c in commands] == ["sh", "apk", "git", "true", "pip", "fi"]
    assert commands[4].args == ("install", "x")


def test_split_script_survives_unbalanced_quotes() -> None:
    commands = split_script("echo 'unterminated && curl x | sh")
    assert [c.name for c in commands] == ["echo", "curl", "sh"]
    assert commands[2].piped_from == ("curl",)


def test_command_has_combined_short_options() -> None:
    (apt,) = split_script("apt-get install -qy curl")
    assert apt.has("-y") and not apt.has("-s")


@pytest.mark.parametrize(("mode", "expected"), [
    ("777", True), ("0666", True), ("o+w", True), ("a+rwx", True), ("u=rwx,o=rw", True),
    ("1777", False), ("755", False), ("go-w", False), ("+x", False), ("u+w", False),
])
def test_world_writable(mode: str, expected: bool) -> None:
    assert world_writable(mode) is expected


@pytest.mark.parametrize(("mode", "expected"), [
    ("4755", True), ("2755", True), ("u+s", True), ("g+s", True), ("0755", False), ("1777", False), ("a-s", False),
])
def test_sets_id_bit(mode: str, expected: bool) -> None:
    assert sets_id_bit(mode) is expected


@pytest.mark.parametrize(("name", "expected"), [
    ("DB_PASSWORD", True), ("GITHUB_TOKEN", True), ("api_key", True), ("AWS_SECRET_ACCESS_KEY", True),
    ("POSTGRES_PASSWORD_FILE", False), ("TOKEN_URL", False), ("PASSENGER_VERSION", False), ("GPG_KEY", False),
])
def test_secret_name(name: str, expected: bool) -> None:
    assert secret_name(name) is expected


@pytest.mark.parametrize(("value", "kind"), [
    ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
    ("glpat-abcdefghij0123456789", "GitLab token"),
    ("-----BEGIN RSA PRIVATE KEY-----", "private key"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None),  # contains '/', could be a path
    ("Zq3Vb9Xk2Lm7Np4Rt8Wy6Hs1Jd5Fg0CeQa", "high-entropy string"),
    ("07a4356e912900e61a15cb0949a06c4a05012e213ecd6b4e84d0f67aa1c3a3aa", None),
    ("https://example.com/some/long/path/to/a/resource", None),
])
def test_secret_shape(value: str, kind: str | None) -> None:
    assert secret_shape(value) == kind


@pytest.mark.parametrize(("user", "expected"), [
    ("root", True), ("0", True), ("root:root", True), ("0:1000", True), ("ROOT", True),
    ("10001", False), ("app:root", False), ("nobody", False),
])
def test_is_root(user: str, expected: bool) -> None:
    assert is_root(user) is expected


def _lines(text: str, rule_id: str, options: dict[str, object] | None = None) -> list[int]:
    rule = get_rule(rule_id)
    assert rule is not None
    report = analyze_file(ANALYZER, text, "Dockerfile", [rule], RuleContext(options=dict(options or {})))
    return [h.line for _r, h in report.hits]


def test_minimal_base_patterns_option_replaces_the_default_list() -> None:
    text = "FROM registry.example.com/base/hardened-debian:12\n"
    assert _lines(text, "DKR-003") == [1]
    assert _lines(text, "DKR-003", {"dockerfile.minimal_base_patterns": ["*hardened-*"]}) == []
    assert _lines("FROM alpine:3.20\n", "DKR-003", {"dockerfile.minimal_base_patterns": ["*hardened-*"]}) == [1]


def test_healthcheck_rule_can_be_turned_off() -> None:
    text = "FROM nginx:1.27\n"
    assert _lines(text, "DKR-042") == [1]
    assert _lines(text, "DKR-042", {"dockerfile.require_healthcheck": False}) == []


def test_sensitive_files_option() -> None:
    text = "FROM alpine:3.20\nCOPY secrets.toml /etc/app/\n"
    assert _lines(text, "DKR-039") == []
    assert _lines(text, "DKR-039", {"dockerfile.sensitive_files": ["secrets.*"]}) == [2]


def test_options_may_be_nested_under_dockerfile_and_single_strings() -> None:
    text = "FROM registry.example.com/base/hardened-debian:12\n"
    nested = {"dockerfile": {"minimal_base_patterns": "*hardened-*", "require_healthcheck": False}}
    assert _lines(text, "DKR-003", nested) == []
    assert _lines(text, "DKR-042", nested) == []
    assert _lines("ARG B\nFROM $B\n", "DKR-001", {"dockerfile": {"build_args": {"B": "debian"}}}) == [2]


def test_exec_form_run_scripts_are_split_as_well() -> None:
    text = 'FROM alpine:3.20\nRUN ["/bin/sh", "-c", "wget -qO- https://x.example/i.sh | sh"]\n'
    assert _lines(text, "DKR-014") == [2]


def test_onbuild_run_is_checked_at_the_onbuild_line() -> None:
    text = "FROM alpine:3.20\nONBUILD RUN curl -fsSL https://x.example/i.sh | sh\n"
    assert _lines(text, "DKR-014") == [2]


def test_every_dkr_rule_is_complete_and_mapped_to_known_requirements() -> None:
    from cnsmm.model import load_model
    from cnsmm.rules import Scope, all_rules

    known = set(load_model().requirements)
    rules = [r for r in all_rules() if r.id.startswith("DKR-")]
    assert len(rules) >= 35
    for r in rules:
        m = r.meta
        assert m.scope == Scope.DOCKERFILE and m.targets == ("Dockerfile",), m.id
        assert m.what.rstrip().endswith(".") and m.why.rstrip().endswith(".") and m.fix.rstrip().endswith("."), m.id
        assert m.references and m.requirements, m.id
        assert set(m.requirements) <= known, (m.id, set(m.requirements) - known)
        assert m.bad.strip() != m.good.strip(), m.id


def test_split_script_keeps_assignments_in_front_of_commands_and_bare_lines() -> None:
    commands = split_script("NODE_TLS_REJECT_UNAUTHORIZED=0 npm ci; A=1 B=2; env GOSUMDB=off go mod download")
    assert [(c.name, c.env) for c in commands] == [
        ("npm", (("NODE_TLS_REJECT_UNAUTHORIZED", "0"),)),
        ("", (("A", "1"), ("B", "2"))),
        ("go", (("GOSUMDB", "off"),)),
    ]


def test_package_operation_skips_option_values_per_manager() -> None:
    from cnsmm.rules.docker._common import fills_cache, package_operation

    (apt,) = split_script("apt-get -o Dpkg::Options::=--force-confold -t bookworm-backports install -y curl")
    assert package_operation(apt) == ("install", ["curl"])
    (dnf,) = split_script("dnf --setopt install_weak_deps=False -x 'kernel*' in -y nginx")
    assert package_operation(dnf) == ("in", ["nginx"])
    (sim,) = split_script("apt-get install -s curl")
    assert package_operation(sim) is None
    (upgrade,) = split_script("apk upgrade")
    assert fills_cache(upgrade) and not fills_cache(split_script("apk info")[0])
    assert fills_cache(split_script("apt-get update")[0], update=True)
