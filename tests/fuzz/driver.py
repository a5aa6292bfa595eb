"""Run one fuzz target under atheris (libFuzzer): ``python -m tests.fuzz.driver TARGET [libFuzzer flags]``.

Normally started by ``scripts/fuzz.py``, which adds the corpus folders, the per-input time
limit and the memory limit. Needs the ``fuzz`` extra (``pip install -e '.[fuzz]'``).
"""

from __future__ import annotations

import sys


def main() -> None:
    """Instrument cnsmm, then hand the target to libFuzzer (which never returns)."""
    try:
        import atheris
    except ImportError:
        sys.exit("atheris is not installed: pip install -e '.[fuzz]'")
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tests.fuzz.driver TARGET [libFuzzer flags]")
    name = sys.argv.pop(1)
    from tests.fuzz.targets import instrumented

    packages = instrumented(name)
    with atheris.instrument_imports(include=list(packages)):
        _import_all(packages)
        from tests.fuzz.targets import targets

        table = targets()
        prepare = table[name].prepare if name in table else None
        if prepare is not None:
            prepare()
    if name not in table:
        sys.exit(f"unknown target {name!r}; known: {', '.join(sorted(table))}")
    target = table[name]
    if target.structure:
        from tests.fuzz.mutators import structured

        def byte_mutation(data: bytes, max_size: int) -> bytes:
            # looked up at each call: Setup() rebinds atheris.Mutate to the libFuzzer build
            return bytes(atheris.Mutate(data, max_size))

        mutator = structured(target.structure, byte_mutation, target.prefix)
        atheris.Setup(sys.argv, target.run, custom_mutator=mutator)
    else:
        atheris.Setup(sys.argv, target.run)
    atheris.Fuzz()


def _import_all(packages: tuple[str, ...]) -> None:
    """Import the target's modules now, so that each is instrumented (parsers import lazily)."""
    import importlib
    import pkgutil

    for name in packages:
        module = importlib.import_module(name)
        if not hasattr(module, "__path__"):
            continue
        for info in pkgutil.walk_packages(module.__path__, name + "."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)


if __name__ == "__main__":
    main()
