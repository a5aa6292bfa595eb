"""Repository-relative paths, repository names without credentials, CI checkouts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cnsmm.vcs import PathMap, clean_commit, clean_repository, detect


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/acme/shop.git", "github.com/acme/shop"),
        ("https://x-access-token:ghs_secret@github.com/acme/shop", "github.com/acme/shop"),
        ("git@gitlab.example.com:group/sub/shop.git", "gitlab.example.com/group/sub/shop"),
        ("ssh://git@git.example.com:2222/acme/shop.git", "git.example.com:2222/acme/shop"),
        ("github.com/acme/shop", "github.com/acme/shop"),
        ("", None),
        ("https://github.com/", None),
        ("[", None),  # regression: an unbalanced bracket raised instead of being no URL
        ("https://[::1/acme/shop", None),
        ("https://git.example.com:99999/acme/shop", None),  # a port out of range
        ("https://git.example.com:abc/acme/shop", None),
    ],
)
def test_clean_repository(url: str, name: str | None) -> None:
    assert clean_repository(url) == name


def test_clean_commit() -> None:
    assert clean_commit(" ABCDEF1 ") == "abcdef1"
    assert clean_commit("main") is None and clean_commit("") is None


@pytest.mark.parametrize(
    ("paths", "given", "portable"),
    [
        (PathMap.of("/home/u/shop"), "/home/u/shop/charts/a.yaml", "charts/a.yaml"),
        (PathMap.of("/srv/a", "/srv/a/sub"), "/srv/a/sub/x.yaml", "x.yaml"),  # the longest root wins
        (PathMap.of("/srv/a"), "/srv/ab/x.yaml", "/srv/ab/x.yaml"),
        (PathMap.of("/srv/a", cwd="/srv/a/charts"), "web/x.yaml", "charts/web/x.yaml"),
        (PathMap.of("/srv/a", cwd="/elsewhere"), "web/x.yaml", "web/x.yaml"),
        (PathMap.of(), "/home/runner/work/shop/shop/k8s/a.yaml", "k8s/a.yaml"),
        (PathMap.of(), "/github/workspace/k8s/a.yaml", "k8s/a.yaml"),
        (PathMap.of(), "/var/lib/jenkins/workspace/shop-main/k8s/a.yaml", "k8s/a.yaml"),
        (PathMap.of(), "/etc/kubernetes/manifests/kube-apiserver.yaml", "/etc/kubernetes/manifests/kube-apiserver.yaml"),
        (PathMap.of("C:\\build\\shop"), "C:\\build\\shop\\k8s\\a.yaml", "k8s/a.yaml"),
        (PathMap.of("/srv/a"), "file:///srv/a/k8s/a.yaml", "k8s/a.yaml"),
    ],
)
def test_portable(paths: PathMap, given: str, portable: str) -> None:
    assert paths.portable(given) == portable


def test_detect_reads_git_and_falls_back_to_ci_variables(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "https://bot:tok@github.com/acme/shop.git"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    found = detect(str(repo / "k8s"), env={})
    assert (found.root, found.repository, found.commit) == (str(repo.resolve()), "github.com/acme/shop", head)

    plain = tmp_path / "ci" / "checkout"
    plain.mkdir(parents=True)
    env = {"GITHUB_WORKSPACE": str(plain), "GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": "a" * 40}
    ci = detect(str(plain), env=env)
    assert (ci.root, ci.repository, ci.commit) == (str(plain), "github.com/acme/shop", "a" * 40)
    assert detect(str(tmp_path), env={}).root is None
