"""Advisory links on the finding page: only well-formed ids become links."""

from __future__ import annotations

from tests.web.conftest import World, login_as, seed

from cnsmm.web.advisories import advisory_links


def test_known_ids_become_links_once() -> None:
    links = advisory_links("CVE-2024-3094", "CVE-2024-3094 GHSA-2jcg-qqmg-46q6", "CWE-79 CWE-79")
    assert links == [
        ("CVE-2024-3094", "https://nvd.nist.gov/vuln/detail/CVE-2024-3094"),
        ("GHSA-2jcg-qqmg-46q6", "https://github.com/advisories/GHSA-2jcg-qqmg-46q6"),
        ("CWE-79", "https://cwe.mitre.org/data/definitions/79.html"),
    ]


def test_hostile_or_malformed_ids_are_not_links() -> None:
    assert advisory_links('CVE-2024-1"><script>', "K8S-001", "javascript:alert(1)", None, "") == []


def test_finding_page_links_its_cve(world: World) -> None:
    seed(world.store, "alpha", ["xz backdoor"])
    c = world.client
    login_as(c, "viewer-a")
    items = c.get("/api/v1/projects/alpha/findings?q=xz").json()["items"]
    html = c.get(f"/p/alpha/findings/{items[0]['id']}").text
    assert f'href="https://nvd.nist.gov/vuln/detail/{items[0]["rule"]}"' in html
    assert 'id="reference" href="https://avd.aquasec.com/nvd/cve-2024-' in html
    assert "What xz backdoor is.\nHow it is exploited: &lt;b&gt;not markup&lt;/b&gt;." in html
    detail = c.get(f"/api/v1/projects/alpha/findings/{items[0]['id']}").json()
    assert detail["description"] == "What xz backdoor is.\nHow it is exploited: <b>not markup</b>."
    assert "description_digest" not in detail
    c.cookies.clear()
