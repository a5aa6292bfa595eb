"""Label selectors as the Kubernetes API defines them, field by field.

A selector is parsed once into a :class:`Selector` and then matched against label sets.
What an absent (null) or empty selector means depends on the field, and the API decides it
differently for each; the constructors below encode those decisions:

- NetworkPolicy ``spec.podSelector``: absent, null and ``{}`` all select every pod of the
  namespace (the Go field is a value, not a pointer, so absent decodes to empty);
- PodDisruptionBudget ``spec.selector``: null selects no pod; ``{}`` selects every pod of the
  namespace in ``policy/v1`` and none in ``policy/v1beta1`` (the API reference of both);
- Service ``spec.selector`` (a plain map): absent, null or ``{}`` selects no pod - the endpoints
  are managed elsewhere (ServiceSpec); ``ExternalName`` Services select no pod either;
- Deployment, ReplicaSet, StatefulSet, DaemonSet ``spec.selector`` in ``apps/v1``: required and
  non-empty; absent or ``{}`` is an invalid object that selects nothing;
- the same kinds in ``extensions/v1beta1`` and ``apps/v1beta1``, ReplicationController and Job:
  an absent or empty selector is defaulted from the pod template's labels;
- ClusterRole ``aggregationRule.clusterRoleSelectors[*]``: each a ``LabelSelector``; ``{}``
  selects every ClusterRole, null none.

A malformed selector selects nothing, as the API server refuses it (and controllers treat a
selector that fails to convert as selecting nothing): a ``LabelSelector`` that is not a mapping,
``matchLabels`` that is not a mapping, ``matchExpressions`` that is not a list, an expression
that is not a mapping, has no key, an unknown operator, ``In``/``NotIn`` without values, or
``Exists``/``DoesNotExist`` with values.

Labels that controllers add to pods at run time (:data:`RUNTIME_LABELS`, e.g.
``pod-template-hash``) are not written in pod templates. Matching a *template* (``template=True``),
a term on such a label that the template does not carry cannot be decided from the manifests:
it is taken as met, and the selector is judged on its other terms. Matching real labels (a Pod
in a cluster dump, a ClusterRole), every term counts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cnsmm.kube.values import label_value

RUNTIME_LABELS = frozenset({
    "pod-template-hash", "controller-revision-hash", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index", "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid",
    "job-name", "controller-uid", "pod-template-generation",
})
"""Labels controllers add to pods at run time."""

T = TypeVar("T")

OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})
"""``matchExpressions`` operators of a ``LabelSelector``."""

LEGACY_SELECTOR_VERSIONS = frozenset({"extensions/v1beta1", "apps/v1beta1"})
"""API versions in which a missing workload selector was defaulted from the template labels."""

DEFAULTED_SELECTOR_KINDS = frozenset({"ReplicationController", "Job"})
"""Kinds whose selector the API fills in from the template labels when it is not written."""


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of a selector: ``key`` ``operator`` ``values``."""

    key: str
    operator: str
    """``In``, ``NotIn``, ``Exists`` or ``DoesNotExist`` (``matchLabels`` entries are ``In``)."""
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` (values as text) meet this term."""
        present = self.key in labels
        if self.operator == "In":
            return present and labels[self.key] in self.values
        if self.operator == "NotIn":
            return not present or labels[self.key] not in self.values
        if self.operator == "Exists":
            return present
        return not present


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed selector: every requirement must hold. ``nothing`` selects no object at all."""

    requirements: tuple[Requirement, ...] = ()
    nothing: bool = False
    problem: str | None = None
    """Why the selector is malformed (it then selects nothing), else None."""

    @property
    def everything(self) -> bool:
        """True for a selector that selects every object (no terms)."""
        return not self.nothing and not self.requirements

    def matches(self, labels: Mapping[Any, Any], *, template: bool = False) -> bool:
        """Whether the selector selects an object with ``labels``.

        With ``template``, ``labels`` are a pod template's: terms on :data:`RUNTIME_LABELS` the
        template does not carry are taken as met.
        """
        if self.nothing:
            return False
        have = {str(k): label_value(v) for k, v in labels.items()}
        for req in self.requirements:
            if template and req.key in RUNTIME_LABELS and req.key not in have:
                continue
            if not req.matches(have):
                return False
        return True


NOTHING = Selector(nothing=True)
"""Selects no object."""

EVERYTHING = Selector()
"""Selects every object."""


def _malformed(problem: str) -> Selector:
    return Selector(nothing=True, problem=problem)


def label_selector(value: Any, *, null: Selector = NOTHING) -> Selector:
    """Parse a ``LabelSelector`` (``matchLabels`` AND ``matchExpressions``).

    ``null`` is what an absent selector means for the field (see the module table).
    """
    if value is None:
        return null
    if not isinstance(value, dict):
        return _malformed("the selector is not a mapping")
    reqs: list[Requirement] = []
    match_labels = value.get("matchLabels")
    if match_labels is not None:
        if not isinstance(match_labels, dict):
            return _malformed("matchLabels is not a mapping")
        reqs.extend(Requirement(str(k), "In", frozenset({label_value(v)})) for k, v in match_labels.items())
    expressions = value.get("matchExpressions")
    if expressions is not None:
        if not isinstance(expressions, list):
            return _malformed("matchExpressions is not a list")
        for i, expr in enumerate(expressions):
            req = _expression(expr)
            if isinstance(req, str):
                return _malformed(f"matchExpressions[{i}]: {req}")
            reqs.append(req)
    return Selector(tuple(reqs))


def _expression(expr: Any) -> Requirement | str:
    if not isinstance(expr, dict):
        return "not a mapping"
    key, op, raw = expr.get("key"), expr.get("operator"), expr.get("values")
    if not isinstance(key, str) or not key:
        return "no key"
    if not isinstance(op, str) or op not in OPERATORS:
        return f"unknown operator {op!r}"
    if raw is not None and not isinstance(raw, list):
        return "values is not a list"
    values = frozenset(label_value(v) for v in raw or ())
    if op in ("In", "NotIn") and not values:
        return f"{op} needs values"
    if op in ("Exists", "DoesNotExist") and values:
        return f"{op} takes no values"
    return Requirement(key, str(op), values)


def map_selector(value: Any) -> Selector:
    """Parse a plain label map (Service, ReplicationController ``spec.selector``).

    Absent, null or empty selects nothing; a map that is not a mapping is malformed.
    """
    if value is None or value == {}:
        return NOTHING
    if not isinstance(value, dict):
        return _malformed("the selector is not a mapping")
    return Selector(tuple(Requirement(str(k), "In", frozenset({label_value(v)})) for k, v in value.items()))


def network_policy_selector(spec: Any) -> Selector:
    """``spec.podSelector`` of a NetworkPolicy: absent or ``{}`` selects every pod of the namespace."""
    value = spec.get("podSelector") if isinstance(spec, dict) else None
    return label_selector(value, null=EVERYTHING)


def pdb_selector(api_version: str, spec: Any) -> Selector:
    """``spec.selector`` of a PodDisruptionBudget: null selects no pod; ``{}`` every pod of the
    namespace in ``policy/v1`` and none in ``policy/v1beta1``."""
    value = spec.get("selector") if isinstance(spec, dict) else None
    selector = label_selector(value)
    if selector.everything and api_version == "policy/v1beta1":
        return NOTHING
    return selector


def service_selector(spec: Any) -> Selector:
    """``spec.selector`` of a Service: a plain map; none or ``{}`` (and ``ExternalName``) selects no pod."""
    if not isinstance(spec, dict) or spec.get("type") == "ExternalName":
        return NOTHING
    return map_selector(spec.get("selector"))


def workload_selector(kind: str, api_version: str, spec: Any, template_labels: Mapping[Any, Any]) -> Selector:
    """``spec.selector`` of a workload controller, with the API's defaulting.

    ``apps/v1`` requires a non-empty selector (absent or ``{}`` is an invalid object that selects
    nothing); older versions, ReplicationController and Job default it from the template labels.
    """
    value = spec.get("selector") if isinstance(spec, dict) else None
    defaulted = api_version in LEGACY_SELECTOR_VERSIONS or kind in DEFAULTED_SELECTOR_KINDS
    if defaulted and (value is None or value == {}):
        return map_selector(dict(template_labels))
    if kind == "ReplicationController":
        return map_selector(value)
    selector = label_selector(value)
    if selector.everything:
        return _malformed("an empty workload selector is invalid")
    return selector


def aggregation_selectors(value: Any) -> tuple[Selector, ...]:
    """``aggregationRule.clusterRoleSelectors`` of a ClusterRole (a non-list gives none)."""
    if not isinstance(value, list):
        return ()
    return tuple(label_selector(v) for v in value)


def policy_types(spec: Any) -> frozenset[str]:
    """``policyTypes`` of a NetworkPolicy with the API's defaulting: ``Ingress``, plus ``Egress``
    when the spec has an ``egress`` section."""
    declared = spec.get("policyTypes") if isinstance(spec, dict) else None
    if isinstance(declared, list) and declared:
        return frozenset(str(t) for t in declared)
    if isinstance(spec, dict) and "egress" in spec:
        return frozenset({"Ingress", "Egress"})
    return frozenset({"Ingress"})


def _anchors(selector: Selector) -> list[Requirement]:
    """``In`` and ``Exists`` terms that every object the selector selects meets, template or
    not (terms on :data:`RUNTIME_LABELS` may be taken as met on a template, so they are not
    anchors). ``In`` terms first: they narrow more."""
    terms = [r for r in selector.requirements if r.operator in ("In", "Exists") and r.key not in RUNTIME_LABELS]
    return sorted(terms, key=lambda r: r.operator != "In")


SMALL = 64
"""Candidates an index checks one by one; a selector without an anchor this narrow is evaluated
term by term on bit sets."""


class LabelIndex(Generic[T]):
    """Objects by their labels, so that a selector's matches are found without trying every object.

    :meth:`positions` gives, in input order, exactly the objects a selector selects (as
    :meth:`Selector.matches` judges them, ``template`` saying which objects are pod templates).
    When one ``In`` or ``Exists`` term of the selector is carried by at most :data:`SMALL`
    objects, those are checked one by one. Otherwise (no such term: only ``NotIn`` or
    ``DoesNotExist`` terms, or a label that most objects carry) the selector is evaluated term by
    term on bit sets of the objects (one bit per object, combined by the interpreter's big-integer
    AND, OR and NOT, 64 objects per machine word), so the cost of a selector over n objects is
    its number of values times n / 64 word operations plus its matches, never the n matches of
    trying every object. :meth:`covered` does the same for "does any of these selectors select
    this object", for every object at once.
    """

    def __init__(
        self, items: Iterable[tuple[T, Mapping[Any, Any]]], template: Callable[[T], bool] | None = None
    ) -> None:
        self.items: list[tuple[T, Mapping[Any, Any]]] = list(items)
        self._template = [template is not None and template(item) for item, _labels in self.items]
        self._by_pair: dict[tuple[str, str], list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        for i, (_item, labels) in enumerate(self.items):
            for key, value in {str(k): label_value(v) for k, v in labels.items()}.items():
                self._by_pair.setdefault((key, value), []).append(i)
                self._by_key.setdefault(key, []).append(i)
        self._all = (1 << len(self.items)) - 1
        self._dense: dict[tuple[str, ...], int] = {}
        self._templates = self._bits(("t",), [i for i, t in enumerate(self._template) if t])

    def _bits(self, name: tuple[str, ...], found: Sequence[int]) -> int:
        """The bit set of ``found`` (kept for the sets of many objects, at most 256 of them)."""
        if len(found) < SMALL:
            raw = bytearray((len(self.items) + 7) // 8)
            for i in found:
                raw[i >> 3] |= 1 << (i & 7)
            return int.from_bytes(raw, "little")
        bits = self._dense.get(name)
        if bits is None:
            raw = bytearray((len(self.items) + 7) // 8)
            for i in found:
                raw[i >> 3] |= 1 << (i & 7)
            bits = int.from_bytes(raw, "little")
            if len(self._dense) < 256:
                self._dense[name] = bits
        return bits

    def _term(self, req: Requirement) -> int:
        if req.operator in ("In", "NotIn"):
            bits = 0
            for value in req.values:
                bits |= self._bits(("p", req.key, value), self._by_pair.get((req.key, value), ()))
            if req.operator == "NotIn":
                bits = self._all & ~bits
        elif req.operator == "Exists":
            bits = self._bits(("k", req.key), self._by_key.get(req.key, ()))
        else:
            bits = self._all & ~self._bits(("k", req.key), self._by_key.get(req.key, ()))
        if req.key in RUNTIME_LABELS and self._templates:  # a template without the label meets the term
            bits |= self._templates & ~self._bits(("k", req.key), self._by_key.get(req.key, ()))
        return bits

    def mask(self, selector: Selector) -> int:
        """The bit set of the objects ``selector`` selects (bit i: ``items[i]``)."""
        if selector.nothing:
            return 0
        bits = self._all
        for req in selector.requirements:
            bits &= self._term(req)
            if not bits:
                break
        return bits

    def _narrow(self, selector: Selector) -> list[int] | None:
        """Positions of the objects carrying the selector's narrowest anchor term, when they are
        at most :data:`SMALL` (else None)."""
        best: Requirement | None = None
        best_count = SMALL + 1
        for term in _anchors(selector):
            if term.operator == "Exists":
                count = len(self._by_key.get(term.key, ()))
            else:
                count = sum(len(self._by_pair.get((term.key, v), ())) for v in term.values)
            if count < best_count:
                best, best_count = term, count
        if best is None:
            return None
        if best.operator == "Exists":
            return list(self._by_key.get(best.key, ()))
        return sorted(i for v in best.values for i in self._by_pair.get((best.key, v), ()))

    def positions(self, selector: Selector) -> list[int]:
        """Positions in :attr:`items` of the objects ``selector`` selects, ascending."""
        if selector.nothing:
            return []
        narrow = self._narrow(selector)
        if narrow is not None:
            return [i for i in narrow if selector.matches(self.items[i][1], template=self._template[i])]
        return _set_bits(self.mask(selector))

    def candidates(self, selector: Selector) -> list[tuple[T, Mapping[Any, Any]]]:
        """Objects (with their labels) that ``selector`` selects, in input order."""
        return [self.items[i] for i in self.positions(selector)]

    def covered(self, selectors: Iterable[Selector]) -> set[int]:
        """Positions of the objects that at least one of ``selectors`` selects."""
        found: set[int] = set()
        bits = 0
        for selector in selectors:
            if selector.nothing:
                continue
            narrow = self._narrow(selector)
            if narrow is not None:
                found.update(i for i in narrow if selector.matches(self.items[i][1], template=self._template[i]))
            else:
                bits |= self.mask(selector)
                if bits == self._all:
                    break
        found.update(_set_bits(bits))
        return found


def _set_bits(bits: int) -> list[int]:
    """Positions of the bits set in ``bits``, ascending (cost: the bits set, or one pass over a
    text of the number's binary digits when many are set)."""
    if bits.bit_count() <= SMALL:
        out = []
        while bits:
            low = bits & -bits
            out.append(low.bit_length() - 1)
            bits ^= low
        return out
    digits = bin(bits)[:1:-1]  # least significant first
    return [m.start() for m in re.finditer("1", digits)]
