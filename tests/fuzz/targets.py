"""Fuzz targets: one per input parser, each stating the parser's contract on hostile bytes.

A target's ``run(data)`` feeds the bytes to one parser the way cnsmm itself does (files are
decoded as the scanner decodes them, reports are streamed as ``cnsmm import`` streams them,
request bodies go through the web application) and returns when the parser kept its
contract: it parsed the input, or refused it with the documented input error
(:class:`cnsmm.errors.Error` for reports; problems collected in the result for YAML,
Dockerfiles, pipelines and attestations, which never raise; an answer below 500 for the
service). Any other exception escapes ``run`` and is a crash. Hangs and memory blow-ups are
caught by the fuzzing engine's per-input time limit and memory limit (``scripts/fuzz.py``).

This module needs no fuzzing engine: ``tests/fuzz/test_targets.py`` replays the seeds and
every saved crasher through the same ``run`` functions, and ``tests/fuzz/driver.py`` runs
them under atheris.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
"""The repository root."""
SEEDS = Path(__file__).resolve().parent / "seeds"
"""Hand-written seeds for parsers whose test fixtures are inline strings."""
REGRESSIONS = Path(__file__).resolve().parent / "regressions"
"""Every crasher or hang the fuzzers found, one folder per target (replayed by the tests)."""


@dataclass(frozen=True)
class Target:
    """One fuzz target."""

    name: str
    run: Callable[[bytes], None]
    """Feed one input; raises only when the parser broke its contract."""
    seeds: Callable[[], Iterator[bytes]]
    """The seed corpus (test fixtures of this parser)."""
    max_len: int = 64 * 1024
    """Longest input the fuzzer generates (seeds may be longer)."""
    structure: str | None = None
    """``json`` or ``yaml``: half of the mutations change the parsed document's tree
    (:mod:`tests.fuzz.mutators`), the others its bytes."""
    prefix: int = 0
    """Bytes before the document (a route selector) that the tree mutations keep."""
    prepare: Callable[[], object] | None = None
    """Set-up done once before fuzzing starts (not counted in the fuzzing time)."""


def _files(*patterns: str) -> Iterator[Path]:
    seen: set[Path] = set()
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            if path.is_file() and path not in seen:
                seen.add(path)
                yield path


def _read(*patterns: str, keep: Callable[[Path], bool] = lambda p: True) -> Callable[[], Iterator[bytes]]:
    def seeds() -> Iterator[bytes]:
        for path in _files(*patterns):
            if keep(path):
                yield path.read_bytes()

    return seeds


def _text(data: bytes, file: str) -> str | None:
    """The bytes decoded as the scanner decodes a file (None when it would refuse them)."""
    from cnsmm.sources.discover import decode

    text, _ = decode(data, file)
    return text


# --- YAML, manifests, Dockerfiles ---------------------------------------------------------------


def run_yaml(data: bytes) -> None:
    """The located YAML loader: documents and problems, never an exception."""
    from cnsmm.sources.yamlload import YList, YMap, line_of, load_yaml

    text = _text(data, "fuzz.yaml")
    if text is None:
        return
    docs, problems = load_yaml(text)
    for doc in docs:
        value = doc.value
        if isinstance(value, YMap | YList):
            for key in list(value.keys() if isinstance(value, YMap) else range(len(value)))[:20]:
                line_of(value, (key,), doc.line)
    for problem in problems:
        assert problem.line >= 0, problem


def run_k8s(data: bytes) -> None:
    """Kubernetes manifests on standard input: the scanner's whole path for one set (decoding,
    loader, objects, every rule, the capability detectors). Problems are input errors; a rule
    that raises is isolated by the engine but is still a bug, so it counts as a crash here."""
    from cnsmm.config import Config
    from cnsmm.scan.orchestrate import scan_set
    from cnsmm.scan.sets import SetInput
    from cnsmm.sources.discover import InputFile

    out = scan_set(SetInput("<stdin>", files=[InputFile("-", "<stdin>", explicit=True)]), Config(), data)
    if out.failures:
        raise AssertionError("rule crashed: " + "; ".join(f"{f.rule}: {f.error}" for f in out.failures.values()))


def _check_file(analyzer: Any, text: str, file: str) -> None:
    """One Dockerfile or pipeline through the scanner's path for it: the analyzer parses it,
    then the engine runs the rules of its scope. A rule that raises is a crash here, as for
    manifests."""
    from cnsmm.config import Config
    from cnsmm.rules.base import RuleContext
    from cnsmm.scan.engine import RuleEngine
    from cnsmm.scan.files import check_file
    from cnsmm.scan.orchestrate import enabled_rules
    from cnsmm.scan.suppress import Suppressor

    config = Config()
    engine = RuleEngine(enabled_rules(config), RuleContext(dict(config.options)), Suppressor(config))
    report, _ = check_file(analyzer, text, file, engine)
    for error in report.errors:
        error.display()
    if engine.out.failures:
        raise AssertionError("rule crashed: " + "; ".join(f"{f.rule}: {f.error}" for f in engine.out.failures.values()))


def run_dockerfile(data: bytes) -> None:
    """Dockerfiles: the analyzer (parser, suppressions, build arguments) and the DKR rules;
    errors collected, never raised."""
    from cnsmm.sources.dockerfile import ANALYZER

    text = _text(data, "Dockerfile")
    if text is not None:
        _check_file(ANALYZER, text, "Dockerfile")


_PIPELINE_PATHS = {
    "github-actions": ".github/workflows/ci.yml",
    "github-action": "action.yml",
    "gitlab-ci": ".gitlab-ci.yml",
    "azure-pipelines": "azure-pipelines.yml",
    "jenkins": "Jenkinsfile",
    "dependabot": ".github/dependabot.yml",
    "renovate": "renovate.json",
    "sniffed": "ci/pipeline.yaml",
}
"""Pipeline targets and the path each one's input is given (the path picks the parser;
``sniffed`` is a YAML file elsewhere, recognised by content)."""


def _pipeline(path: str) -> Callable[[bytes], None]:
    def run(data: bytes) -> None:
        from cnsmm.sources.pipelines import ANALYZER, sniff

        text = _text(data, path)
        if text is None:
            return
        if path == _PIPELINE_PATHS["sniffed"] and sniff(text) is None:
            return
        _check_file(ANALYZER, text, path)

    return run


def _pipeline_seeds(path: str) -> Callable[[], Iterator[bytes]]:
    def seeds() -> Iterator[bytes]:
        from cnsmm.sources.pipelines import system_for_path

        want = system_for_path(path)
        name = next(k for k, v in _PIPELINE_PATHS.items() if v == path)
        for file in _files("tests/fixtures/rules/CI-*/**/*", "tests/fixtures/rules/CI-*/**/.*/**/*", "examples/**/*",
                           "examples/**/.*/**/*"):
            rel = file.relative_to(ROOT).as_posix()
            system = system_for_path(rel)
            if system is None:
                continue
            if name == "sniffed" or (system == want and rel.endswith("action.yml") == path.endswith("action.yml")):
                yield file.read_bytes()
        yield from _read(f"tests/fuzz/seeds/pipeline-{name}/*")()

    return seeds


# --- attestations ------------------------------------------------------------------------------


@cache
def _model() -> Any:
    from cnsmm.model import load_model

    return load_model()


def run_attestations(data: bytes) -> None:
    """The attestation loader and the service's check of an attestation document."""
    from cnsmm.assess.attest import existing_answers, parse_attestations
    from cnsmm.web.attest_check import attestation_problems

    text = _text(data, "attestations.yaml")
    if text is None:
        return
    answers, problems = parse_attestations(text, "attestations.yaml", _model(), dt.date(2026, 6, 1))
    for problem in problems:
        problem.display()
    for answer in answers:
        assert answer.requirement in _model().requirements
    existing_answers(text)
    attestation_problems(text)


# --- report importers --------------------------------------------------------------------------


def _importer(fmt: str | None) -> Callable[[bytes], None]:
    """One importer (``fmt``), or detection followed by the detected importer (None)."""

    def run(data: bytes) -> None:
        from cnsmm.errors import Error
        from cnsmm.importers import FORMATS, detect_format
        from cnsmm.tracking.fingerprint import fingerprint

        name = fmt or detect_format(data[:65536], "report.json")
        if name is None:
            return
        try:
            report = FORMATS[name].parse(io.BytesIO(data), source="report.json")
            for finding in report.findings:
                fingerprint(finding, report.scope)
            report.errors.lines("report.json")
        except Error as exc:
            exc.diagnostics()

    return run


def _importer_seeds(fmt: str | None) -> Callable[[], Iterator[bytes]]:
    if fmt is None:
        return _read("tests/importers/samples/*/*")
    return _read(f"tests/importers/samples/{fmt}/*", "tests/importers/samples/malformed/*",
                 keep=lambda p: p.parent.name == fmt or p.name.startswith(fmt.split("-")[0]))


# --- the service -------------------------------------------------------------------------------


@dataclass
class _Service:
    client: Any
    form_client: Any
    csrf: str
    token: str


_API_ROUTES: tuple[tuple[str, str], ...] = (
    ("POST", "/api/v1/projects"),
    ("PATCH", "/api/v1/projects/alpha/findings/1"),
    ("POST", "/api/v1/projects/alpha/findings/bulk-status"),
    ("POST", "/api/v1/projects/alpha/findings/1/comments"),
    ("POST", "/api/v1/projects/alpha/assessments"),
    ("PUT", "/api/v1/projects/alpha/attestations"),
    ("PUT", "/api/v1/projects/alpha/members"),
    ("POST", "/api/v1/projects/alpha/tokens"),
)
"""JSON request bodies: the first input byte picks the route, the rest is the body."""

_FORM_ROUTES: tuple[str, ...] = (
    "/login",
    "/",
    "/p/alpha/findings/bulk",
    "/p/alpha/findings/1",
    "/p/alpha/settings",
)
"""Form posts of the pages (as the logged-in administrator, with the session's CSRF token;
``/login`` anonymously, with the login form's token)."""


@cache
def _service() -> _Service:
    import atexit
    import re
    import shutil
    import tempfile

    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from cnsmm.accounts import service as security
    from cnsmm.accounts.service import Role, create_token, create_user, set_membership
    from cnsmm.web.app import create_app
    from cnsmm.web.db import open_web_store

    security._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    folder = tempfile.mkdtemp(prefix="cnsmm-fuzz-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    store = open_web_store(f"sqlite:///{folder}/web.db")
    create_user(store, "admin", "fuzz-password-1", admin=True)
    set_membership(store, "admin", "alpha", Role.OWNER)
    token = create_token(store, "alpha", Role.OWNER, name="fuzz", created_by="fuzz")[0]
    _seed_finding(store)
    app = create_app(store=store)
    # Entered once and kept open: one event loop thread for every request, not one per request.
    client = TestClient(app).__enter__()
    form_client = TestClient(app).__enter__()
    page = form_client.get("/login").text
    login_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert login_csrf is not None
    form_client.post("/login", data={"username": "admin", "password": "fuzz-password-1",
                                     "csrf_token": login_csrf.group(1), "next": "/"})
    page = form_client.get("/").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None, "login failed"
    return _Service(client, form_client, csrf.group(1), token)


def _seed_finding(store: Any) -> None:
    from cnsmm.findings import Finding, Location, Severity
    from cnsmm.importers.interface import ImportedReport
    from cnsmm.tracking.importer import import_report

    finding = Finding(rule="CVE-2024-1000", severity=Severity.HIGH, title="openssl", message="openssl 1.0",
                      location=Location(image="registry.example.com/shop/api:1.0"), tool="trivy",
                      category="vulnerability", component="openssl", installed_version="1.0", fixed_version="1.1")
    report = ImportedReport(format="trivy-json", tool="trivy", tool_version="0.50.0",
                            scope="registry.example.com/shop/api", findings=iter([finding]), kind="image-scan")
    import_report(store, report, project="alpha", source_name="trivy.json", source_sha256="0" * 64, actor="fuzz")


def run_web_api(data: bytes) -> None:
    """A JSON body to one of the API's write routes: any answer but a server error."""
    if not data:
        return
    service = _service()
    method, url = _API_ROUTES[data[0] % len(_API_ROUTES)]
    response = service.client.request(method, url, content=data[1:], headers={
        "Authorization": f"Bearer {service.token}", "Content-Type": "application/json"})
    assert response.status_code < 500, (method, url, response.status_code, response.text[:500])


def run_web_forms(data: bytes) -> None:
    """A form body to one of the pages' form posts: any answer but a server error."""
    if not data:
        return
    service = _service()
    url = _FORM_ROUTES[data[0] % len(_FORM_ROUTES)]
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if url == "/login":
        response = service.client.post(url, content=data[1:], headers=headers)
    else:
        headers["X-CSRF-Token"] = service.csrf
        response = service.form_client.post(url, content=data[1:], headers=headers, follow_redirects=False)
    assert response.status_code < 500, (url, response.status_code, response.text[:500])


def _web_seeds(folder: str, routes: int) -> Callable[[], Iterator[bytes]]:
    def seeds() -> Iterator[bytes]:
        for path in _files(f"tests/fuzz/seeds/{folder}/*"):
            yield path.read_bytes()
        for i in range(routes):
            yield bytes([i]) + b"{}"

    return seeds


# --- the registry ------------------------------------------------------------------------------


def _all() -> dict[str, Target]:
    from cnsmm.importers import FORMATS

    targets = [
        Target("yaml", run_yaml, structure="yaml", seeds=_read("tests/fixtures/rules/K8S-*/**/*.yaml", "examples/**/*.yaml",
                                       "tests/capabilities/fixtures/**/*.yaml", "tests/fuzz/seeds/yaml/*")),
        Target("k8s-manifest", run_k8s, structure="yaml", seeds=_read("tests/fixtures/rules/K8S-*/fail/*.yaml", "examples/**/k8s/*.yaml")),
        Target("dockerfile", run_dockerfile, _read("tests/fixtures/rules/DKR-*/**/*", "examples/**/*Dockerfile",
                                                   "tests/fuzz/seeds/dockerfile/*")),
        *(Target(f"pipeline-{name}", _pipeline(path), _pipeline_seeds(path),
                 structure=None if name == "jenkins" else "json" if name == "renovate" else "yaml")
          for name, path in _PIPELINE_PATHS.items()),
        Target("attestations", run_attestations, structure="yaml", seeds=_read("examples/orgs/*/attestations.yaml",
                                                       "tests/fuzz/seeds/attestations/*")),
        *(Target(f"import-{fmt}", _importer(fmt), _importer_seeds(fmt),
                 structure=None if fmt.endswith("-xml") or fmt == "falco-json" else "json") for fmt in FORMATS),
        Target("import-detect", _importer(None), _importer_seeds(None), structure="json"),
        Target("web-api", run_web_api, _web_seeds("web-api", len(_API_ROUTES)), max_len=8192, structure="json",
               prefix=1, prepare=_service),
        Target("web-forms", run_web_forms, _web_seeds("web-forms", len(_FORM_ROUTES)), max_len=8192,
               prepare=_service),
    ]
    return {t.name: t for t in targets}


_INSTRUMENT: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("yaml", ("cnsmm.sources.yamlload",)),
    ("k8s-", ("cnsmm.sources", "cnsmm.scan", "cnsmm.rules", "cnsmm.kube", "cnsmm.capabilities")),
    ("dockerfile", ("cnsmm.sources", "cnsmm.rules.docker")),
    ("pipeline-", ("cnsmm.sources", "cnsmm.rules.ci")),
    ("attestations", ("cnsmm.assess.attest", "cnsmm.sources.yamlload", "cnsmm.web.attest_check")),
    ("import-", ("cnsmm.importers", "cnsmm.identity", "cnsmm.findings", "cnsmm.tracking.fingerprint")),
    ("web-", ("cnsmm.web", "cnsmm.accounts", "cnsmm.tracking")),
)


def instrumented(name: str) -> tuple[str, ...]:
    """Modules and packages whose code coverage guides the fuzzing of target ``name`` (the
    parser's own code; instrumenting all of cnsmm would make every start slow)."""
    return next((packages for prefix, packages in _INSTRUMENT if name.startswith(prefix)), ("cnsmm",))


@cache
def targets() -> dict[str, Target]:
    """Every fuzz target by name."""
    return _all()


def regressions(name: str) -> list[Path]:
    """Saved crashers and hangs of one target."""
    folder = REGRESSIONS / name
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".md") if folder.is_dir() else []
