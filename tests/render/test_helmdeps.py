"""Which missing subcharts the values disable (helm's tags and condition rules), without helm."""

from __future__ import annotations

from pathlib import Path

import pytest

from cnsmm.render import helmdeps


def _chart(tmp_path: Path, deps: str, values: str = "") -> Path:
    chart = tmp_path / "app"
    chart.mkdir()
    (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n{deps}")
    (chart / "values.yaml").write_text(values)
    return chart


@pytest.mark.parametrize(("values", "extra", "expected"), [
    ("", "", (True, "")),  # no condition value and no tag: enabled, as in helm
    ("db: {enabled: false}\n", "", (False, "db.enabled=false")),
    ("db: {enabled: 'no'}\nalt: {enabled: false}\n", "", (False, "alt.enabled=false")),  # non-boolean is skipped
    ("tags: {storage: false}\n", "", (False, "tags.storage")),
    ("tags: {storage: false}\ndb: {enabled: true}\n", "", (True, "db.enabled=true")),  # condition wins over tags
    ("db: {enabled: false}\n", "db: {enabled: true}\n", (True, "db.enabled=true")),  # a values file overrides
])
def test_condition_and_tags_decide_like_helm(tmp_path: Path, values: str, extra: str,
                                             expected: tuple[bool, str]) -> None:
    chart = _chart(tmp_path, "  - {name: db, version: 1.x, condition: 'db.enabled, alt.enabled', tags: [storage]}\n",
                   values)
    files = []
    if extra:
        (tmp_path / "extra.yaml").write_text(extra)
        files.append(str(tmp_path / "extra.yaml"))
    [dep] = helmdeps.missing(str(chart))
    assert dep.enabled(helmdeps.values_of(str(chart), files)) == expected


def test_present_subcharts_and_odd_entries(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "  - {name: db, version: 1.x}\n  - {name: cache, version: 2.x, tags: oops, condition: 7}\n"
                             "  - just-a-string\n  - {version: 3.x}\n")
    (chart / "charts" / "anything").mkdir(parents=True)
    (chart / "charts" / "anything" / "Chart.yaml").write_text("name: db\nversion: 1.2.0\n")
    [dep] = helmdeps.missing(str(chart))
    assert dep == helmdeps.Dependency("cache")
    (chart / "Chart.yaml").write_text(": not yaml [")
    assert helmdeps.missing(str(chart)) == []


def test_copy_leaves_out_the_dropped_dependencies_only(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "  - {name: db, version: 1.x}\n  - {name: cache, version: 2.x}\n")
    (chart / "Chart.lock").write_text("dependencies: []\n")
    copy = Path(helmdeps.copy_without(str(chart), [helmdeps.Dependency("db")]))
    try:
        assert copy.name == "app" and copy != chart
        text = (copy / "Chart.yaml").read_text()
        assert "cache" in text and "db" not in text and not (copy / "Chart.lock").exists()
        assert "db" in (chart / "Chart.yaml").read_text()
    finally:
        import shutil

        shutil.rmtree(copy.parent)
