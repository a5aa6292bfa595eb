"""What each crasher the fuzzers found now gives, asserted precisely (the inputs are in
``tests/fuzz/regressions/TARGET/``, replayed against the contract by ``test_targets.py``)."""

from __future__ import annotations

import io
from types import ModuleType

import pytest

from cnsmm.errors import ReportParseError
from cnsmm.importers import cyclonedx_xml, zap_xml

from .targets import REGRESSIONS, _service


@pytest.mark.parametrize("module", [cyclonedx_xml, zap_xml], ids=["cyclonedx-xml", "zap-xml"])
def test_xml_report_with_unknown_encoding_is_a_parse_error(module: ModuleType) -> None:
    # <?xml version="1.0" encoding="UTF-9"?>: expat raised LookupError, which escaped the importer
    data = (REGRESSIONS / "import-cyclonedx-xml" / "unknown_xml_encoding.xml").read_bytes()
    with pytest.raises(ReportParseError, match=r"^bom\.xml: XML declares an unknown encoding \(unknown encoding: UTF-9\)"):
        module.parse(io.BytesIO(data), source="bom.xml")



@pytest.mark.parametrize("module", [cyclonedx_xml, zap_xml], ids=["cyclonedx-xml", "zap-xml"])
def test_xml_report_in_utf7_is_a_parse_error(module: ModuleType) -> None:
    # <?xml version="1.0" encoding="UTF-7"?>: expat raised ValueError (multi-byte encoding)
    data = (REGRESSIONS / "import-cyclonedx-xml" / "utf7_xml_encoding.xml").read_bytes()
    with pytest.raises(ReportParseError, match=r"^bom\.xml: XML in an encoding the parser cannot read \(multi-byte"):
        module.parse(io.BytesIO(data), source="bom.xml")


def test_out_of_range_number_in_a_json_body_is_a_422() -> None:
    # {"days": 1e999} parses to inf; FastAPI's handler echoed it back and JSON could not carry it (500)
    service = _service()
    headers = {"Authorization": f"Bearer {service.token}", "Content-Type": "application/json"}
    response = service.client.post("/api/v1/projects/alpha/tokens", headers=headers,
                                   content=b'{"name": "ci", "role": "viewer", "days": 1e999}')
    assert response.status_code == 422
    assert response.json()["detail"] == [{"type": "finite_number", "loc": ["body", "days"],
                                           "msg": "Input should be a finite number", "input": "inf"}]
    saved = (REGRESSIONS / "web-api" / "comment_body_out_of_range_float").read_bytes()
    response = service.client.post("/api/v1/projects/alpha/findings/1/comments", headers=headers, content=saved[1:])
    assert response.status_code == 422
    assert response.json()["detail"][0]["input"] == "inf"


def test_settings_token_form_without_role_says_so() -> None:
    # the token form posted without `role` raised KeyError (500)
    service = _service()
    response = service.form_client.post("/p/alpha/settings", data={"action": "token", "name": "ci", "days": "7"},
                                        headers={"X-CSRF-Token": service.csrf})
    assert response.status_code == 422
    assert "choose a role for the token" in response.text


def test_nested_complex_keys_stay_small() -> None:
    # a mapping used as a key became str(mapping); each level escaped the backslashes below it
    # again, doubling them: 144 bytes of nesting took 780 MB, 40 levels would need 2^40 bytes
    from cnsmm.sources.yamlload import MAX_KEY_TEXT, load_yaml

    text = (REGRESSIONS / "yaml" / "nested_complex_keys_escape_blowup.yaml").read_text()
    docs, problems = load_yaml(text)
    assert problems == []
    (key,) = docs[0].value
    assert len(key) <= MAX_KEY_TEXT
    assert key.startswith("{")
    docs, _ = load_yaml("{[a, b]: 1, {c: d}: 2, {c: e}: 3}")
    assert list(docs[0].value) == ["['a', 'b']", "{'c': 'd'}", "{'c': 'e'}"]


def test_spdx_package_with_a_non_string_spdxid_is_read() -> None:
    # a package whose SPDXID was an object raised TypeError (unhashable) against documentDescribes
    from cnsmm.importers import spdx_json

    data = (REGRESSIONS / "import-spdx-json" / "package_spdxid_not_a_string.json").read_bytes()
    report = spdx_json.parse(io.BytesIO(data), source="sbom.json")
    assert list(report.findings) == []
    assert [c.name for c in report.components] == ["com.github.example-org/shop"]
    assert [str(e) for e in report.errors] == ["/packages/0 (package #1): missing name",
                                               "/packages/1 (package #2): package must be an object (got array)"]


def test_kube_linter_check_with_a_non_string_name_is_ignored() -> None:
    # a Checks entry whose name was an object raised TypeError (unhashable) building the check table
    from cnsmm.importers import kube_linter_json

    data = (REGRESSIONS / "import-kube-linter-json" / "check_name_not_a_string.json").read_bytes()
    report = kube_linter_json.parse(io.BytesIO(data), source="kube-linter.json")
    assert list(report.findings) == []
    assert len(report.errors) == 0


@pytest.mark.parametrize(("level", "shown"), [(2**63, "a larger number"), (6, "6"), (-1, "-1"), (True, "True")])
def test_assessment_level_out_of_range_is_a_422(level: int, shown: str) -> None:
    # overall.level 2^63 went to the database: OverflowError on SQLite (500), DataError on PostgreSQL
    import json

    service = _service()
    headers = {"Authorization": f"Bearer {service.token}", "Content-Type": "application/json"}
    saved = (REGRESSIONS / "web-api" / "assessment_level_beyond_int64").read_bytes()
    assert json.loads(saved[1:])["overall"]["level"] == 2**63
    body = json.dumps({"overall": {"level": level}, "practices": []})
    response = service.client.post("/api/v1/projects/alpha/assessments", headers=headers, content=body)
    assert response.status_code == 422
    assert response.json()["detail"] == f"overall.level must be a level from 0 to 5 (got {shown})"
    response = service.client.post("/api/v1/projects/alpha/assessments", headers=headers, content=saved[1:])
    assert response.status_code == 422
