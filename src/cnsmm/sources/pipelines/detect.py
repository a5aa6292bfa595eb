"""Which files are pipelines: by path, and by content when they sit elsewhere.

Paths (``/``-separated, relative to the scan root, any directory depth):

===========================================  ================
``.github/workflows/*.yml|yaml``             github-actions
``action.yml|yaml`` (composite/docker)       github-actions
``.gitlab-ci.yml``, ``*.gitlab-ci.yml``,     gitlab-ci
``.gitlab/ci/**/*.yml``
``Jenkinsfile``, ``Jenkinsfile.*``,          jenkins
``*.jenkinsfile``
``azure-pipelines*.yml``,                    azure-pipelines
``.azure-pipelines/**/*.yml``
``.github/dependabot.yml``                   dependabot
``renovate.json[5]``, ``.renovaterc[.json]``  renovate
===========================================  ================

Content (:func:`sniff`), for YAML found elsewhere: ``on:`` + ``jobs:`` whose jobs have
``runs-on``/``steps``/``uses`` is GitHub Actions; ``runs:`` with ``using:`` is an action;
``stages``/``jobs`` items with ``stage:``/``job:`` keys (or ``steps`` with ``task``/``script``
next to ``pool``/``trigger``) is Azure; a top-level job mapping with ``script:`` or an
``include: template:`` is GitLab CI; ``pipeline {`` or ``node { ... stage(`` is Jenkins.
Kubernetes manifests (``apiVersion:`` + ``kind:``) are never pipelines.
"""

from __future__ import annotations

import re

from cnsmm.sources.pipelines import azure, github, gitlab
from cnsmm.sources.pipelines.jenkins import looks_like_jenkins
from cnsmm.sources.yamlload import YMap, load_yaml

_PATHS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE if i >= 2 else 0), s)
    for i, (p, s) in enumerate(
        (
            (r"(^|/)\.github/workflows/[^/]+\.ya?ml$", "github-actions"),
            (r"(^|/)action\.ya?ml$", "github-actions"),
            (r"(^|/)(\.gitlab-ci|[^/]+\.gitlab-ci)\.ya?ml$", "gitlab-ci"),
            (r"(^|/)\.gitlab/ci/.+\.ya?ml$", "gitlab-ci"),
            (r"(^|/)(jenkinsfile(\.(?!(md|txt|rst|adoc|html|png|svg)$)[^/]+)?|[^/]+\.jenkinsfile)$", "jenkins"),
            (r"(^|/)azure-pipelines[^/]*\.ya?ml$", "azure-pipelines"),
            (r"(^|/)\.azure-pipelines/.+\.ya?ml$", "azure-pipelines"),
            (r"(^|/)\.github/dependabot\.ya?ml$", "dependabot"),
            (r"(^|/)(renovate\.json5?|\.renovaterc(\.json5?)?)$", "renovate"),
        )
    )
)

MAX_SNIFF_BYTES = 2_000_000
"""Larger texts are not sniffed (they are not hand-written pipelines)."""

_HINT = re.compile(r"^[ \t]*(?:jobs|stages|steps|script|runs)[ \t]*:|pipeline[ \t\n]*\{|^[ \t]*node\b", re.MULTILINE)
_K8S = re.compile(r"^apiVersion[ \t]*:", re.MULTILINE)
_KIND = re.compile(r"^kind[ \t]*:", re.MULTILINE)


def system_for_path(relpath: str) -> str | None:
    """Pipeline system named by the file's path, or None."""
    path = relpath.replace("\\", "/")
    for rx, system in _PATHS:
        if rx.search(path):
            return system
    return None


def system_for_doc(doc: object) -> str | None:
    """Pipeline system of a loaded YAML top-level value, by its shape, or None."""
    if not isinstance(doc, YMap):
        return None
    if github.is_workflow(doc) or github.is_action(doc):
        return "github-actions"
    if azure.is_azure(doc):
        return "azure-pipelines"
    if gitlab.is_gitlab(doc):
        return "gitlab-ci"
    return None


def sniff(text: str) -> str | None:
    """Pipeline system of a file's text by its content, or None. Cheap on non-pipelines:
    YAML is parsed only when a pipeline keyword starts a line. A text that loads as a YAML
    mapping is judged by its shape only; the Jenkins rule applies to text that does not."""
    if len(text) > MAX_SNIFF_BYTES:
        return None
    if _K8S.search(text) and _KIND.search(text):
        return None  # a Kubernetes manifest (checked first: it is the common case and cheap)
    if not _HINT.search(text):
        return None
    docs, _ = load_yaml(text)
    if docs and isinstance(docs[0].value, YMap):
        return system_for_doc(docs[0].value)
    return "jenkins" if looks_like_jenkins(text) else None
