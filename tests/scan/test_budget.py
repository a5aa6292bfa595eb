"""The per-file time budget: a file that takes too long is a ``timeout`` input error, the
rest of the scan goes on. Slowness is injected (a parser or rule that spins until a far
deadline) and the budget made tiny, so no assertion depends on how fast the machine is."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cnsmm.config import Config, build_config
from cnsmm.errors import ConfigError
from cnsmm.findings import Severity
from cnsmm.rules import all_rules
from cnsmm.rules.base import Hit, Rule, RuleContext, RuleMeta, Scope
from cnsmm.scan import orchestrate, scan_paths
from cnsmm.scan.budget import Clock, FileTimeout
from cnsmm.sources import dockerfile
from cnsmm.sources.k8s import K8sObject, ObjectSet
from cnsmm.vocab import InputErrorKind

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: apps}}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext: {{privileged: true}}
"""
FAR = 60.0
"""How long the injected slow steps would spin if nothing stopped them."""
BUDGET = 0.5
"""The budget in these tests (processor time, which a loaded machine does not inflate): far
below FAR, far above the few milliseconds the small real files take."""


def _spin(seconds: float = FAR) -> None:
    """Use ``seconds`` of processor time (what the budget counts)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def _meta(rule_id: str, scope: Scope) -> RuleMeta:
    return RuleMeta(id=rule_id, name="slow", title="Slow", severity=Severity.LOW, scope=scope, targets=("*",),
                    requirements=(), what="x", why="x", fix="x.", bad="x", good="x")


def _slow_on_stuck(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
    if obj.name == "stuck":
        _spin()
    yield Hit("seen")


def _slow_set(objs: ObjectSet, ctx: RuleContext) -> Iterator[Hit]:
    _spin()
    yield from ()


def _write_tree(folder: Path) -> Path:
    (folder / "good.yaml").write_text(POD.format(name="good"))
    (folder / "stuck.yaml").write_text(POD.format(name="stuck"))
    (folder / "Dockerfile").write_text("FROM alpine:3.20\nUSER root\n")
    return folder


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One scan without a budget first, so that no budget pays for importing the rules."""
    scan_paths([str(_write_tree(tmp_path_factory.mktemp("warm")))], Config(workers=1, file_timeout=0))


@pytest.fixture
def tree(tmp_path: Path, warm: None) -> Path:
    return _write_tree(tmp_path)


def _timeouts(result: object) -> list[tuple[str, str]]:
    return [(Path(e.file).name, e.message) for e in result.errors  # type: ignore[attr-defined]
            if e.kind == InputErrorKind.TIMEOUT]


def test_a_slow_parser_skips_its_file_and_the_scan_goes_on(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stuck_parse(*args: object, **kwargs: object) -> None:
        _spin()

    monkeypatch.setattr(dockerfile.ANALYZER, "parse", stuck_parse)
    result = scan_paths([str(tree)], Config(workers=1, file_timeout=BUDGET))
    assert _timeouts(result) == [("Dockerfile", "took longer than 0.5 s of processor time; skipped (a backstop against "
                                  "pathological input: raise `file_timeout` in cnsmm.yaml or --file-timeout if "
                                  "the file is real, and please report it)")]
    assert {Path(f.location.file or "").name for f in result.findings if f.rule == "K8S-001"} == {
        "good.yaml", "stuck.yaml"}
    assert not any(Path(f.location.file or "").name == "Dockerfile" for f in result.findings)
    assert not result.complete


def test_a_slow_rule_drops_only_that_files_findings(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = Rule(_meta("K8S-980", Scope.OBJECT), _slow_on_stuck)
    monkeypatch.setattr(orchestrate, "enabled_rules", lambda config: [*all_rules(), slow])
    result = scan_paths([str(tree)], Config(workers=1, file_timeout=BUDGET))
    assert [name for name, _ in _timeouts(result)] == ["stuck.yaml"]
    files = {Path(f.location.file or "").name for f in result.findings}
    assert "stuck.yaml" not in files and {"good.yaml", "Dockerfile"} <= files
    assert {("K8S-980", "good.yaml")} <= {(f.rule, Path(f.location.file or "").name) for f in result.findings}
    evaluated = result.coverage["K8S-001"].evaluated
    assert any(s.endswith("Pod/apps/good") for s in evaluated)
    assert not any(s.endswith("Pod/apps/stuck") for s in evaluated)


def test_a_slow_set_rule_is_reported_for_the_set(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slow = Rule(_meta("K8S-981", Scope.SET), _slow_set)
    monkeypatch.setattr(orchestrate, "enabled_rules", lambda config: [*all_rules(), slow])
    result = scan_paths([str(tree)], Config(workers=1, file_timeout=BUDGET))
    assert [(name, message[:45]) for name, message in _timeouts(result)] == [
        (tree.name, "rule K8S-981 on the objects of the set took l")]
    assert {"good.yaml", "stuck.yaml"} <= {Path(f.location.file or "").name for f in result.findings}


def test_outside_the_main_thread_the_budget_is_checked_between_rules(tree: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def a_bit_slow(obj: K8sObject, ctx: RuleContext) -> Iterator[Hit]:
        if obj.name == "stuck":
            _spin(BUDGET + 0.5)  # processor time: waiting would not count
        yield from ()

    slow = Rule(_meta("K8S-982", Scope.OBJECT), a_bit_slow)
    monkeypatch.setattr(orchestrate, "enabled_rules", lambda config: [slow, *all_rules()])
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(scan_paths([str(tree)], Config(workers=1,
                                                                                           file_timeout=BUDGET))))
    worker.start()
    worker.join(FAR)
    assert [name for name, _ in _timeouts(results[0])] == ["stuck.yaml"]


def test_no_budget_with_zero_and_the_clock_disarms_after_the_file() -> None:
    clock = Clock(0)
    with clock.running():
        clock.check()  # no limit: nothing raised
    clock = Clock(0.05)
    with pytest.raises(FileTimeout), clock.running():
        _spin()
    time.sleep(0.1)  # no alarm left armed after the file
    with pytest.raises(FileTimeout), clock.running(0):  # nothing left of the budget
        pass


def test_file_timeout_is_configurable() -> None:
    assert Config().file_timeout == 30
    assert build_config({"file_timeout": 5}, "cnsmm.yaml", set()).file_timeout == 5
    assert build_config({"file_timeout": 0}, "cnsmm.yaml", set()).file_timeout == 0
    with pytest.raises(ConfigError, match="file_timeout has value 'soon', expected seconds"):
        build_config({"file_timeout": "soon"}, "cnsmm.yaml", set())
