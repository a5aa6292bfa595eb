"""Scanning: inputs in; findings, coverage, capabilities and inventories out.

One engine runs every rule of every scope the same way. The modules, in the order data
flows through them:

- :mod:`.sets` - a *set* (:class:`SetInput`) is the unit of work: the files of one folder
  (stdin is its own set), checked together so that cross-object rules relate objects deployed
  together and not ten copies of a bundle in ten folders. :func:`plan_sets` groups the
  discovered files into sets.
- :mod:`.orchestrate` - :func:`scan_paths` (paths in) and :func:`scan_sets` (prepared sets
  in) read each set's files, hand them to the parsers, run the engine, and merge the sets'
  outputs into one :class:`ScanResult`; large inputs are spread over worker processes.
- :mod:`.k8s` - the Kubernetes part of a set: manifests are parsed into objects, then the
  object, pod, container and set rules run over them.
- :mod:`.files` - Dockerfiles and CI pipelines: the analyzer in ``cnsmm.sources`` parses
  (it runs no rule), then the engine runs the rules of the analyzer's scope.
- :mod:`.engine` - :class:`RuleEngine` calls each check, isolates a rule that raises (it is
  reported once per scan as an ``internal`` input error naming the rule, and the scan goes
  on), turns hits into findings and records each rule's coverage.
- :mod:`.suppress` - annotations and central ``ignore`` entries; :mod:`.baseline` -
  accepted findings, applied after the scan.

Extension point: rendered sets
------------------------------
A set may hold objects that were rendered rather than read from disk (a Kustomize overlay,
a Helm chart). Parse the renderer's output with :func:`cnsmm.sources.yamlload.load_yaml`,
wrap each document in a :class:`RenderedObject` with the file and line it should be reported
at, and put them in a set::

    sets, errors = plan_sets(paths, config.exclude, file_analyzers())
    # drop the files the renderer consumed from their sets, then add the rendered set:
    docs, problems = load_yaml(rendered_text)
    sets.append(SetInput("overlays/prod", rendered=[
        RenderedObject(doc, origin_file(doc), origin_line(doc)) for doc in docs
    ], errors=[InputError(root, p.line, p.message, p.kind) for p in problems]))
    result = scan_sets(sets, config, errors=errors)

The rendered objects are checked with the set's manifest files by the same engine; their
findings carry the origin given (every finding of an object is reported at its ``line``
unless ``exact_lines`` says the document's own lines are lines of ``file``). Failures of the
renderer go in :attr:`SetInput.errors` and make the scan incomplete like any input error.
"""

from __future__ import annotations

from cnsmm.scan.baseline import apply_baseline, baseline_key, load_baseline, write_baseline
from cnsmm.scan.engine import RuleEngine, RuleFailure
from cnsmm.scan.files import FileReport, analyze_file, check_file, file_analyzers
from cnsmm.scan.orchestrate import enabled_rules, scan_paths, scan_set, scan_sets
from cnsmm.scan.result import Progress, RuleCoverage, ScanResult, SetOutput
from cnsmm.scan.sets import RenderedObject, SetInput, plan_sets
from cnsmm.scan.suppress import Suppressor

__all__ = [
    "FileReport",
    "Progress",
    "RenderedObject",
    "RuleCoverage",
    "RuleEngine",
    "RuleFailure",
    "ScanResult",
    "SetInput",
    "SetOutput",
    "Suppressor",
    "analyze_file",
    "apply_baseline",
    "baseline_key",
    "check_file",
    "enabled_rules",
    "file_analyzers",
    "load_baseline",
    "plan_sets",
    "scan_paths",
    "scan_set",
    "scan_sets",
    "write_baseline",
]
