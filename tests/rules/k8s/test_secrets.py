"""Secret detection: names, shapes, redaction (no secret ever reaches a message)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.rules.k8s.secrets_hostpath import exposes_socket, normalise, sensitive
from cnsmm.rules.k8s.secrets_patterns import redact, secret_name, secret_reason, secrets_in_text
from cnsmm.scan import scan_paths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("DB_PASSWORD", True), ("dbPassword", True), ("API_KEY", True), ("apiKey", True),
        ("GITHUB_TOKEN", True), ("client_secret", True), ("PRIVATE_KEY", True),
        ("DB_PASSWORD_FILE", False), ("tokenPath", False), ("AUTH_SECRET_NAME", False),
        ("ACCESS_KEY_ID", False), ("passwordPattern", False), ("LOG_LEVEL", False), ("PWD", False),
        ("DB_PWD", True), ("REDIS_PASS", True), ("mysqlPasswd", True), ("SMTP_PW", True), ("SECRET_KEY", True),
        ("AUTH_TOKEN", True), ("KEY_PASSPHRASE", True), ("BYPASS", False), ("PASS_THROUGH", False),
        ("COMPASS_URL", False),
    ],
)
def test_secret_names(name: str, expected: bool) -> None:
    assert secret_name(name) is expected


@pytest.mark.parametrize(
    ("name", "value", "found"),
    [
        ("DB_PASSWORD", "hunter22", True),
        ("DB_PASSWORD", "$(DB_PASSWORD)", False),
        ("DB_PASSWORD", "${DB_PASSWORD}", False),
        ("DB_PASSWORD", "", False),
        ("DB_PASSWORD", "true", False),
        ("DB_PASSWORD", "/etc/secret", False),
        ("DB_PASSWORD", "YOUR_PASSWORD_HERE", False),
        ("TOKEN_TTL", "3600", False),
        ("ANYTHING", "AKIAIOSFODNN7EXAMPLE", True),
        ("ANYTHING", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", True),
        ("DSN", "mysql://app:pa55word@db/app", True),
        ("DSN", "mysql://app:${PASS}@db/app", False),
        ("AUTH_HEADER", "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", True),
        ("AUTH_HEADER", "Bearer ${API_TOKEN}", False),
        ("UPSTREAM", "Basic YWRtaW46czNjcjN0LXBhc3M=", True),
        ("OPENAI", "sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kM9nP2rS5uV8xA1", True),
        ("HF", "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh", True),
        ("VAULT", "hvs." + "CAESIJ3x8Qm1yK2pL0vN9tR4eW7uZ5aB6cD", True),
        ("CHECKSUM", "0f2d2e6f4bf9b5e3c3e0c3b2f7d6a3d1b5c0a8e9f7d6c5b4a3928170615243f0", False),
        ("ID", "123e4567-e89b-12d3-a456-426614174000", False),
        ("BLOB", "q8Zr3LmT0vXw9YbK2sNf7HjD4uGa1PcE6oRi5VtQ", True),
        ("PORT", 8080, False),
    ],
)
def test_secret_reason(name: str, value: object, found: bool) -> None:
    assert (secret_reason(name, value) is not None) is found


def test_secrets_in_file_content() -> None:
    text = "a=1\npassword = topsecret1\npassword=${X}\nkey: AKIAIOSFODNN7EXAMPLE\n"
    assert [line for line, _ in secrets_in_text(text)] == [1, 3]


def test_redact_keeps_only_a_prefix() -> None:
    assert redact("hunter22-long-secret") == '"hunt…" (20 chars)'
    assert redact("hunter") == '"hu…" (6 chars)'
    assert redact("abc") == '"…" (3 chars)'


def test_no_secret_value_reaches_a_message() -> None:
    secrets = ["hunter22", "Sup3rS3cret", "AKIAIOSFODNN7EXAMPLE", "ghp_000000000000000000000000000000000000",
               "q8Zr3LmT0vXw9YbK2sNf7HjD4uGa1PcE6oRi5VtQ", "s3cr3t-pass", "changeit42", "not-a-real-key"]
    paths = [str(FIXTURES / rid / "fail") for rid in ("K8S-090", "K8S-091", "K8S-095")]
    result = scan_paths(paths, Config(only=frozenset({"K8S-090", "K8S-091", "K8S-095"})))
    assert len(result.findings) >= 10
    for finding in result.findings:
        for secret in secrets:
            assert secret not in finding.message


@pytest.mark.parametrize(
    ("path", "socket", "sensitive_dir"),
    [
        ("/var/run/docker.sock", True, False),
        ("/var/run//docker.sock/", True, False),
        ("/run", True, False),
        ("/var/run/containerd", True, False),
        ("/", False, True),
        ("/var", False, True),
        ("//etc/", False, True),
        ("/etc/kubernetes/pki", False, True),
        ("/root/.kube", False, True),
        ("/home/ci/.ssh", False, True),
        ("/etc/localtime", False, False),
        ("/var/log", False, True),
        ("/proc/1/root", False, True),
        ("/proc/self/root/etc", False, True),
        ("/proc/1/status", False, False),
        ("/usr/lib", False, True),
        ("/sys/fs/cgroup", False, True),
        ("/sys/class/net", False, False),
        ("/home", False, True),
        ("/srv/.config/gcloud", False, True),
        ("/srv/.config", False, False),
        ("/run/user/1000/podman/podman.sock", True, False),
        ("/run/user/1000", True, False),
        ("/run/user/1000/bus", False, False),
        ("/var/run/docker/containerd/containerd.sock", True, False),
        ("/run/lock", False, False),
        ("/var/lib/kubelet-plugins", False, False),
    ],
)
def test_host_paths(path: str, socket: bool, sensitive_dir: bool) -> None:
    norm = normalise(path)
    assert (exposes_socket(norm) is not None) is socket
    assert (sensitive(norm) is not None) is sensitive_dir


def test_url_password_shape_is_found_in_linear_time() -> None:
    """Regression: an unbounded URL scheme made the search quadratic: a 240 KB value of
    ``--a--a...`` took minutes."""
    from cnsmm.rules.docker.secrets import _URL_CREDENTIALS_RE
    from cnsmm.rules.k8s.secrets_patterns import shape

    assert shape("--a" * 80_000) is None
    assert _URL_CREDENTIALS_RE.search("--a" * 80_000) is None
    assert shape("postgres://app:s3cr3t-pass@db.internal:5432/app") == "a URL with a password"
    assert _URL_CREDENTIALS_RE.search("git clone https://deploy:hunter22@git.example.com/app.git")
