"""Image references: one table for every reader (K8s rules, Dockerfile FROM, capability
detectors, tracking fingerprints, importers, CI job images)."""

from __future__ import annotations

import pytest

from cnsmm.imageref import ImageRef, digest_problem, from_parts, parse_image, parse_lenient, strip_os_suffix

SHA256 = "sha256:" + "0f2d2e6f4bf9b5e3c3e0c3b2f7d6a3d1b5c0a8e9f7d6c5b4a3928170615243f0"
SHA512 = "sha512:" + "ab" * 64


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx", ImageRef("docker.io", "library/nginx", None, None)),
        ("nginx:1.27", ImageRef("docker.io", "library/nginx", "1.27", None)),
        ("bitnami/redis:7.2", ImageRef("docker.io", "bitnami/redis", "7.2", None)),
        ("docker.io/nginx", ImageRef("docker.io", "library/nginx", None, None)),
        ("index.docker.io/library/nginx:1", ImageRef("docker.io", "library/nginx", "1", None)),
        ("registry-1.docker.io/bitnami/redis", ImageRef("docker.io", "bitnami/redis", None, None)),
        ("localhost/app", ImageRef("localhost", "app", None, None)),
        ("localhost:5000/app:dev", ImageRef("localhost:5000", "app", "dev", None)),
        ("localhost:5000/team/app", ImageRef("localhost:5000", "team/app", None, None)),
        ("Registry.Example.com:5000/team/app", ImageRef("registry.example.com:5000", "team/app", None, None)),
        ("[::1]:5000/app:1", ImageRef("[::1]:5000", "app", "1", None)),
        ("192.168.1.10:5000/app", ImageRef("192.168.1.10:5000", "app", None, None)),
        ("MyRegistry/app", ImageRef("myregistry", "app", None, None)),
        ("ghcr.io/org/app:1.0@sha256:abc", ImageRef("ghcr.io", "org/app", "1.0", "sha256:abc")),
        ("gcr.io/distroless/static@sha256:abc", ImageRef("gcr.io", "distroless/static", None, "sha256:abc")),
        ("Nginx:1.27@sha256:abc", ImageRef("docker.io", "library/nginx", "1.27", "sha256:abc")),
        ("  grafana/loki:2.9  ", ImageRef("docker.io", "grafana/loki", "2.9", None)),
        ("quay.io/a/b/c/d:v1", ImageRef("quay.io", "a/b/c/d", "v1", None)),
        ("app:", ImageRef("docker.io", "library/app", None, None)),
    ],
)
def test_parse_image(image: str, expected: ImageRef) -> None:
    assert parse_image(image) == expected


@pytest.mark.parametrize("image", ["", "   ", None, 42, [1, 2], "${IMAGE}", "{{ .Values.image }}", "<image>", "a b"])
def test_templates_and_junk_are_not_references(image: object) -> None:
    assert parse_image(image) is None


@pytest.mark.parametrize(
    ("image", "familiar", "short"),
    [
        ("docker.io/library/nginx:1.25@sha256:abc", "nginx", "nginx"),
        ("nginx:1.27", "nginx", "nginx"),
        ("docker.io/bitnami/redis", "bitnami/redis", "bitnami/redis"),
        ("registry.example.com:5000/team/app:2.0", "registry.example.com:5000/team/app", "team/app"),
        ("ghcr.io/org/app@sha256:0f", "ghcr.io/org/app", "org/app"),
        ("quay.io/cilium/cilium:v1.15.3@sha256:abc", "quay.io/cilium/cilium", "cilium/cilium"),
        ("localhost:5000/falcosecurity/falco:0.37", "localhost:5000/falcosecurity/falco", "falcosecurity/falco"),
        ("registry.example.com:443/mirror/Falcosecurity/Falco", "registry.example.com:443/mirror/falcosecurity/falco",
         "mirror/falcosecurity/falco"),
        ("ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.97.0",
         "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib",
         "open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib"),
    ],
)
def test_familiar_and_short_names(image: str, familiar: str, short: str) -> None:
    ref = parse_image(image)
    assert ref is not None and (ref.familiar, ref.path_without_library) == (familiar, short)


@pytest.mark.parametrize(
    ("digest", "problem"),
    [
        (SHA256, None),
        (SHA512, None),
        ("sha256:abc", "sha256 digest is not 64 lower-case hex digits (got 3 characters)"),
        (SHA256.upper().replace("SHA256", "sha256"), "sha256 digest is not 64 lower-case hex digits (got 64 characters)"),
        (SHA256 + "0", "sha256 digest is not 64 lower-case hex digits (got 65 characters)"),
        (SHA256[:-1] + "g", "sha256 digest is not 64 lower-case hex digits (got 64 characters)"),
        ("sha256:", "sha256 digest is not 64 lower-case hex digits (got 0 characters)"),
        ("sha512:" + "ab" * 32, "sha512 digest is not 128 lower-case hex digits (got 64 characters)"),
        ("SHA256:" + SHA256[7:], 'digest algorithm "SHA256" is not a registered one (sha256, sha512)'),
        ("md5:" + "a" * 32, 'digest algorithm "md5" is not a registered one (sha256, sha512)'),
        (SHA256[7:], f'digest "{SHA256[7:46]}…" has no algorithm (expected sha256:<64 hex digits>)'),
    ],
)
def test_only_a_well_formed_registered_digest_pins(digest: str, problem: str | None) -> None:
    assert digest_problem(digest) == problem
    ref = parse_image(f"registry.example.com/app:1.0@{digest}")
    assert ref is not None and ref.pinned is (problem is None) and ref.digest == digest


@pytest.mark.parametrize(
    ("image", "floating"),
    [("app", True), ("app:latest", True), ("app:stable", True), ("app:1.2", False),
     (f"app@{SHA256}", False), ("app@sha256:abc", True), ("app:1.2@sha256:abc", False)],
)
def test_floating(image: str, floating: bool) -> None:
    ref = parse_image(image)
    assert ref is not None and ref.floating is floating


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("nginx:1.27", None),
        (f"registry.example.com:5000/team/app:v1.2_3-rc.1@{SHA256}", None),
        ("Nginx:1.27", "the repository path has upper-case letters (registries refuse them)"),
        ("Registry.Example.com/team/app", None),
        ("registry.example.com/Team/app", "the repository path has upper-case letters (registries refuse them)"),
        ("team//app", "the repository path is not lower-case letters, digits and single separators"),
        ("team/-app", "the repository path is not lower-case letters, digits and single separators"),
        ("team/app.", "the repository path is not lower-case letters, digits and single separators"),
        ("reg_istry.io:x/app", "the registry is not a host name with an optional port"),
        ("app:.bad", "the tag is not 1 to 128 letters, digits, '_', '.' or '-' (not starting with '.' or '-')"),
        ("app:" + "a" * 129, "the tag is not 1 to 128 letters, digits, '_', '.' or '-' (not starting with '.' or '-')"),
        ("a" * 256, "the name is longer than 255 characters"),
        ("app@sha256:abc", "the digest is not algorithm:hex"),
    ],
)
def test_grammar_problems(image: str, problem: str | None) -> None:
    ref = parse_image(image)
    assert ref is not None and ref.problem == problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nginx:1.25 (debian 12.4)", "nginx:1.25"),
        ("registry.example.com/shop/web:1.8.2 (debian 12.7)", "registry.example.com/shop/web:1.8.2"),
        ("nginx:1.25", "nginx:1.25"),
        ("a (b) (c)", "a"),
        ("a (b\nc (d)", "a (b\nc"),
        ("a(b)", "a(b)"),
    ],
)
def test_os_suffix(text: str, expected: str) -> None:
    assert strip_os_suffix(text) == expected


@pytest.mark.parametrize(
    ("registry", "repository", "tag", "expected"),
    [
        ("registry.example.com", "shop/web", "1.8.2", "registry.example.com/shop/web:1.8.2"),
        ("https://registry.example.com/", "shop/web", None, "registry.example.com/shop/web"),
        ("localhost:5000", "web", "", "localhost:5000/web"),
        ("docker.io", "library/nginx", "1.27", "library/nginx:1.27"),
        ("index.docker.io", "bitnami/redis", "7", "bitnami/redis:7"),
        ("Registry-1.Docker.IO", "bitnami/redis", None, "bitnami/redis"),
        ("mydocker.io.example", "web", None, "mydocker.io.example/web"),  # not Docker Hub
        (None, "nginx", "1.27", "nginx:1.27"),
        ("", "nginx", None, "nginx"),
    ],
)
def test_a_reference_from_its_parts(registry: str | None, repository: str, tag: str | None, expected: str) -> None:
    assert from_parts(registry, repository, tag) == expected
    assert parse_image(expected) is not None


def test_lenient_parse_drops_the_os_suffix() -> None:
    assert parse_lenient("alpine (alpine 3.18.4)") == parse_image("docker.io/library/alpine")


def test_very_long_references_parse_in_one_pass() -> None:
    """Regression: the fingerprint of a 100,000-character image name used to take 30 s."""
    long_name = "registry.example.com/" + "a" * 100_000 + ":1.0"
    ref = parse_image(long_name)
    assert ref is not None and ref.tag == "1.0" and ref.problem == "the name is longer than 255 characters"
    assert strip_os_suffix(" (" * 50_000 + ")") == ""
    assert strip_os_suffix("a" + " " * 100_000 + "b)") == "a" + " " * 100_000 + "b)"
    ref = parse_image("a-" * 50_000 + "!")
    assert ref is not None and ref.problem is not None
