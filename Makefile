.PHONY: install test lint docs bench fuzz
install:
	python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'
test:
	.venv/bin/python -m pytest -n 2
lint:
	.venv/bin/ruff check src tests && .venv/bin/mypy && .venv/bin/lint-imports --no-cache
docs:
	.venv/bin/python scripts/gen_docs.py
bench:
	.venv/bin/python benchmarks/bench_scan.py
fuzz:
	.venv/bin/python scripts/fuzz.py --budget 2 --jobs 2
