"""What each crasher the fuzzers found now gives, asserted precisely (the inputs are in
``tests/fuzz/regressions/TARGET/``, replayed against the contract by ``test_targets.py``)."""

from __future__ import annotations

import io
from types import ModuleType

import pytest

from cnsmm.errors import ReportParseError
from cnsmm.importers import cyclonedx_xml, zap_xml

from .targets import REGRESSIONS


@pytest.mark.parametrize("module", [cyclonedx_xml, zap_xml], ids=["cyclonedx-xml", "zap-xml"])
def test_xml_report_with_unknown_encoding_is_a_parse_error(module: ModuleType) -> None:
    # <?xml version="1.0" encoding="UTF-9"?>: expat raised LookupError, which escaped the importer
    data = (REGRESSIONS / "import-cyclonedx-xml" / "unknown_xml_encoding.xml").read_bytes()
    with pytest.raises(ReportParseError, match=r"^bom\.xml: XML declares an unknown encoding \(unknown encoding: UTF-9\)"):
        module.parse(io.BytesIO(data), source="bom.xml")
