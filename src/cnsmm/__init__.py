"""cnsmm: cloud-native security maturity assessment and finding tracking.

Public API map:

- :func:`cnsmm.scan.scan_paths` — scan manifests, Dockerfiles and pipelines into a
  :class:`cnsmm.scan.ScanResult`.
- :mod:`cnsmm.findings` — :class:`Finding`, :class:`Location`, :class:`Severity`.
- :mod:`cnsmm.rules` — the rule registry (``all_rules()``, ``get_rule(id)``).
- :mod:`cnsmm.renderers` — text, JSON, SARIF, JUnit and Markdown output.
"""

__version__ = "0.1.0"
