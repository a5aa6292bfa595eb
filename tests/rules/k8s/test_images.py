"""Registry allow-lists and the image rule options (parsing: tests/test_imageref.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.config import Config
from cnsmm.imageref import parse_image, trusted
from cnsmm.scan import scan_paths


@pytest.mark.parametrize(
    ("image", "prefixes", "expected"),
    [
        ("nginx:1.27", ["library"], True),
        ("nginx:1.27", ["docker.io/library/"], True),
        ("nginx:1.27", ["docker.io/bitnami"], False),
        ("bitnami/redis", ["bitnami"], True),
        ("registry.example.com/shop/web:1", ["registry.example.com"], True),
        ("registry.example.com.evil.io/web:1", ["registry.example.com"], False),
        ("registry.example.community/web:1", ["registry.example.com"], False),
        ("ghcr.io/example-org/api:2", ["ghcr.io/example-org/"], True),
        ("ghcr.io/example-organisation/api:2", ["ghcr.io/example-org"], False),
    ],
)
def test_trusted_prefixes(image: str, prefixes: list[str], expected: bool) -> None:
    ref = parse_image(image)
    assert ref is not None
    assert trusted(ref, prefixes) is expected


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: registry.example.com/shop/web:1.4.2
    - name: redis
      image: redis:7.2
"""


def _messages(tmp_path: Path, rule: str, **options: object) -> list[str]:
    (tmp_path / "pod.yaml").write_text(POD, encoding="utf-8")
    result = scan_paths([str(tmp_path)], Config(only=frozenset({rule}), options=dict(options)))
    return [f.message for f in result.findings]


def test_untrusted_registry_is_not_evaluated_without_a_list(tmp_path: Path) -> None:
    assert _messages(tmp_path, "K8S-077") == []
    assert _messages(tmp_path, "K8S-077", trusted_registries=[]) == []
    result = scan_paths([str(tmp_path)], Config(only=frozenset({"K8S-077"})))
    assert "K8S-077" not in result.coverage  # nothing passes a rule that did not run
    assert result.not_evaluated == {"K8S-077": "needs the option `trusted_registries`, which is not configured"}
    configured = scan_paths([str(tmp_path)], Config(only=frozenset({"K8S-077"}),
                                                    options={"trusted_registries": ["registry.example.com"]}))
    assert configured.not_evaluated == {}
    assert len(configured.coverage["K8S-077"].evaluated) == 1


def test_untrusted_registry_names_the_normalised_repository(tmp_path: Path) -> None:
    messages = _messages(tmp_path, "K8S-077", trusted_registries="registry.example.com")
    assert messages == [
        'container "redis" uses image "redis:7.2" (docker.io/library/redis), which is not under a trusted registry'
    ]


def test_digest_exempt_registries(tmp_path: Path) -> None:
    assert len(_messages(tmp_path, "K8S-076")) == 2
    messages = _messages(tmp_path, "K8S-076", digest_exempt_registries=["registry.example.com/"])
    assert messages == ['container "redis" uses image "redis:7.2" without a digest']
