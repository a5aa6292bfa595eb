"""The rule engine: runs every rule of every scope the same way.

For each (rule, target) pair the engine calls the rule's check, turns its hits into findings
through the :class:`~cnsmm.scan.suppress.Suppressor` and records the rule's coverage (which
subjects it evaluated, which failed it). A check that raises is isolated: its partial hits
are dropped, the subject does not count as evaluated, the other rules and subjects go on,
and the rule is reported once per scan as an ``internal`` input error naming the rule (see
:class:`RuleFailure`), whatever its scope.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cnsmm.findings import Finding
from cnsmm.rules.base import Hit, Rule, RuleContext, Scope, unconfigured
from cnsmm.scan.budget import Clock
from cnsmm.scan.suppress import Suppressor
from cnsmm.sources.interface import InputError
from cnsmm.vocab import InputErrorKind

CRD_FALLBACK_KIND = "Deployment"
"""Pod and container rules written for workload templates apply to custom resources with a
pod template (Argo Rollouts, Knative Services...) through this kind's rule list."""


@dataclass
class RuleFailure:
    """A rule that raised, with where it first did and how many subjects it failed on."""

    rule: str
    file: str
    line: int | None
    where: str
    """The first subject it raised on (a resource, a file, a set)."""
    error: str
    """``ExceptionType: message`` of the first failure."""
    count: int = 1

    def to_error(self) -> InputError:
        """The one ``internal`` input error reporting this rule."""
        more = f" and {self.count - 1} other subject(s)" if self.count > 1 else ""
        return InputError(
            self.file,
            self.line,
            f"rule {self.rule} failed on {self.where}{more} ({self.error}); this is a bug in cnsmm, "
            "please report it. The other rules still ran",
            InputErrorKind.INTERNAL,
            self.rule,
        )

    def absorb(self, other: RuleFailure) -> None:
        """Count other failures of the same rule into this one, keeping the first place."""
        if (other.file, other.line or 0) < (self.file, self.line or 0):
            self.file, self.line, self.where, self.error = other.file, other.line, other.where, other.error
        self.count += other.count


@dataclass
class EngineOutput:
    """What the engine produced for one set (or one file)."""

    findings: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    failures: dict[str, RuleFailure] = field(default_factory=dict)
    evaluated: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    failed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    not_evaluated: dict[str, str] = field(default_factory=dict)
    """Rules not run because they need configuration that is missing, with the reason."""

    def coverage(self) -> dict[str, tuple[list[str], list[str]]]:
        """Per rule id: sorted evaluated subjects and sorted failing subjects."""
        return {
            rid: (sorted(subjects), sorted(self.failed.get(rid, set())))
            for rid, subjects in self.evaluated.items()
        }


class RuleEngine:
    """Runs the enabled rules for one set, isolating rules that raise."""

    def __init__(self, rules: Sequence[Rule], ctx: RuleContext, suppressor: Suppressor,
                 clock: Clock | None = None) -> None:
        self.ctx = ctx
        self.clock = clock
        """The per-file time budget, checked before each rule (see :mod:`cnsmm.scan.budget`)."""
        self.suppressor = suppressor
        self.out = EngineOutput()
        self._by_scope: dict[Scope, list[Rule]] = defaultdict(list)
        self._cache: dict[tuple[Scope, str | None, bool], list[Rule]] = {}
        for r in rules:
            reason = unconfigured(r.meta, ctx)
            if reason is not None:
                self.out.not_evaluated[r.id] = reason
            else:
                self._by_scope[r.meta.scope].append(r)

    def rules(self, scope: Scope, kind: str | None = None, *, crd: bool = False) -> list[Rule]:
        """The rules of ``scope`` whose targets include ``kind`` (or ``*``); every rule of the
        scope when ``kind`` is None. With ``crd``, a kind no rule names gets the rules written
        for :data:`CRD_FALLBACK_KIND`."""
        key = (scope, kind, crd)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rules = self._by_scope.get(scope, [])
        if kind is None:
            chosen = list(rules)
        else:
            named = [r for r in rules if kind in r.meta.targets]
            if not named and crd:
                named = [r for r in rules if CRD_FALLBACK_KIND in r.meta.targets]
            # by identity: `r in named` compared frozen rules field by field, R x R times per kind
            picked = {id(r) for r in named}
            chosen = [r for r in rules if id(r) in picked or "*" in r.meta.targets]
        self._cache[key] = chosen
        return chosen

    def check(self, rule: Rule, target: Any, subjects: Iterable[str], *, file: str, line: int | None = None,
              where: str) -> list[Hit] | None:
        """Run one check and count ``subjects`` as evaluated by it. Returns its hits, or None
        when it raised (then recorded once, and nothing counts as evaluated)."""
        if self.clock is not None:
            self.clock.check()
        try:
            hits = list(rule.check(target, self.ctx))
        except Exception as exc:  # a rule bug must not stop the other rules
            self._failure(RuleFailure(rule.id, file, line, where, f"{type(exc).__name__}: {exc}"))
            return None
        evaluated = set(subjects)
        if evaluated:
            self.out.evaluated[rule.id].update(evaluated)
        return hits

    def emit(self, rule: Rule, message: str, file: str, line: int | None, obj: Any,
             failing: Iterable[str], expected: Callable[[str, Any], str | None] | None = None,
             build: str | None = None) -> bool:
        """Turn one hit into a finding unless suppressed; mark ``failing`` subjects. Returns
        False when the hit was suppressed. ``expected(rule_id, obj)`` says why the finding is
        an expected exception (it is still reported). ``build`` names the Kustomize root or Helm
        chart a rendered object came from."""
        finding = self.suppressor.finding(rule, message, file, line, obj, build=build)
        if finding is None:
            self.out.suppressed += 1
            return False
        reason = expected(rule.id, obj) if expected is not None else None
        if reason:
            finding = replace(finding, expected_exception=reason)
        self.out.findings.append(finding)
        self.out.failed[rule.id].update(failing)
        return True

    def _failure(self, failure: RuleFailure) -> None:
        known = self.out.failures.get(failure.rule)
        if known is None:
            self.out.failures[failure.rule] = failure
        else:
            known.absorb(failure)
