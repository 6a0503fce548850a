"""What GitHub code scanning requires of an uploaded SARIF log (anchors §7a) and the uploads
it has been seen to reject (§7b), as one reusable check."""

from __future__ import annotations

from scalelint.catalogue import load_rules


def assert_github_accepts(log: dict) -> None:
    assert log["version"] == "2.1.0" and log["$schema"]
    assert len(log["runs"]) == 1, "one run per upload: GitHub rejects repeated categories"
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "scalelint" and driver["version"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(load_rules())
    for r in rules:
        assert r["shortDescription"]["text"] and len(r["shortDescription"]["text"]) <= 1024
        assert r["fullDescription"]["text"] and len(r["fullDescription"]["text"]) <= 1024
        assert r["help"]["text"] and r["help"]["markdown"]
        assert r["helpUri"].startswith("https://")  # an empty helpUri is rejected
        assert len(r.get("name", "")) <= 255
        assert r["defaultConfiguration"]["level"] in ("note", "warning", "error")
        props = r["properties"]
        assert props["precision"] in ("very-high", "high", "medium", "low")
        assert props["problem.severity"] in ("error", "warning", "recommendation")
        assert (
            "security-severity" not in props
        )  # its presence would make a scale rule a security rule
        assert len(props.get("tags", [])) <= 20
    assert len(run["results"]) <= 25_000
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["level"] in ("note", "warning", "error")
        assert res["message"]["text"]
        assert 1 <= len(res["locations"]) <= 10
        loc = res["locations"][0]["physicalLocation"]
        art = loc["artifactLocation"]
        assert art["uri"], "an empty uri is rejected"
        assert not art["uri"].startswith(("/", "file:")) and art["uriBaseId"] == "%SRCROOT%"
        region = loc["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1, "startColumn 0 is rejected"
        assert region["endLine"] >= region["startLine"] and region["endColumn"] >= 1
        assert res["partialFingerprints"]["primaryLocationLineHash"]
        assert "suppressions" not in res, (
            "GitHub ignores suppressions: suppressed results must be absent"
        )
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"].endswith("/")
