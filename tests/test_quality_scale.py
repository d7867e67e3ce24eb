"""quality_scale.yaml: every rule of the Integration Quality Scale, judged.

The rule list is hassfest's (script/hassfest/quality_scale.py) as of the newest
Home Assistant tested here: the 52 rules the scale started with, plus
docs-conditions and docs-triggers, added to Bronze later (every core
integration's quality_scale.yaml in that release lists all 54).

Every Bronze rule must be met (done or exempt). Where a claim can be checked
cheaply from the files, it is, but only for a rule marked done (or exempt):
any other rule can say todo without a test failing.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.const import Platform
import pytest
import voluptuous as vol
import yaml

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / "click_to_call"
RAW: dict[str, Any] = yaml.safe_load(
    (INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8")
)
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())
STRINGS: dict[str, Any] = json.loads((INTEGRATION / "strings.json").read_text())
README = (ROOT / "README.md").read_text(encoding="utf-8")

TIERS: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_RULES = [rule for rules in TIERS.values() for rule in rules]

# hassfest's own schema of the file.
SCHEMA = vol.Schema(
    {
        vol.Required("rules"): vol.Schema(
            {
                vol.Optional(rule): vol.Any(
                    vol.In(["todo", "done"]),
                    vol.Schema(
                        {
                            vol.Required("status"): vol.In(["todo", "done"]),
                            vol.Required("comment"): str,
                        }
                    ),
                    vol.Schema(
                        {vol.Required("status"): "exempt", vol.Required("comment"): str}
                    ),
                )
                for rule in ALL_RULES
            }
        )
    }
)


def _status(rule: str) -> str:
    value = RAW["rules"][rule]
    return str(value["status"] if isinstance(value, dict) else value)


def _comment(rule: str) -> str:
    value = RAW["rules"][rule]
    return str(value.get("comment") or "") if isinstance(value, dict) else ""


def _met(rule: str) -> bool:
    return _status(rule) in ("done", "exempt")


def _source(name: str) -> str:
    return (INTEGRATION / name).read_text(encoding="utf-8")


def _module_names(name: str) -> set[str]:
    """Return the names a module assigns at its top level."""
    tree = ast.parse(_source(name))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _platform_modules() -> list[str]:
    return sorted(
        f"{platform.value}.py"
        for platform in Platform
        if (INTEGRATION / f"{platform.value}.py").is_file()
    )


# The file itself.


def test_the_file_passes_hassfests_schema() -> None:
    SCHEMA(RAW)


def test_every_rule_is_listed_once_and_no_other() -> None:
    assert len(ALL_RULES) == len(set(ALL_RULES)) == 54
    assert sorted(RAW["rules"]) == sorted(ALL_RULES)


@pytest.mark.parametrize("rule", ALL_RULES)
def test_each_status_is_known_and_explained_where_needed(rule: str) -> None:
    assert _status(rule) in ("done", "todo", "exempt")
    if _status(rule) in ("exempt", "todo"):
        assert _comment(rule).strip(), f"{rule}: an {_status(rule)} needs a comment"


def test_rules_are_grouped_by_tier_in_order() -> None:
    tier_of = {
        rule: index for index, rules in enumerate(TIERS.values()) for rule in rules
    }
    tiers = [tier_of[rule] for rule in RAW["rules"]]
    assert tiers == sorted(tiers)


def test_every_bronze_rule_is_met() -> None:
    missing = [rule for rule in TIERS["bronze"] if not _met(rule)]
    assert not missing, f"Bronze rules still todo: {missing}"


# Evidence, checked only for the rules claimed.


def test_brands() -> None:
    if _status("brands") == "done":
        assert (INTEGRATION / "brand" / "icon.png").is_file()


def test_parallel_updates() -> None:
    if _status("parallel-updates") != "done":
        return
    modules = _platform_modules()
    assert modules
    for module in modules:
        assert "PARALLEL_UPDATES" in _module_names(module), module


def test_platforms_set_up_are_the_platform_modules() -> None:
    # What parallel-updates, entity-* and icon-translations were judged on.
    platforms = {
        f"{platform.value}.py"
        for platform in Platform
        if f"Platform.{platform.name}" in _source("__init__.py")
    }
    assert platforms == set(_platform_modules())


def test_strict_typing() -> None:
    if _status("strict-typing") != "done":
        return
    runners = (ROOT / ".ci" / "run", ROOT / "scripts" / "test")
    assert any(
        re.search(r"mypy\"?\s+--strict\s+custom_components", path.read_text())
        for path in runners
    )


def test_action_setup() -> None:
    if _status("action-setup") != "done":
        return
    tree = ast.parse(_source("__init__.py"))
    (setup,) = (
        node
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and node.name == "async_setup"
    )
    assert "async_setup_services(hass)" in ast.unparse(setup)


def test_runtime_data() -> None:
    if _status("runtime-data") == "done":
        assert "entry.runtime_data = " in _source("__init__.py")
        assert "ConfigEntry[CallCoordinator]" in _source("coordinator.py")


def test_has_entity_name_and_unique_id() -> None:
    entity = _source("entity.py")
    if _status("has-entity-name") == "done":
        assert "_attr_has_entity_name = True" in entity
    if _status("entity-unique-id") == "done":
        assert entity.count("self._attr_unique_id = ") == 2  # account, contact


def test_config_flow_fields_are_described() -> None:
    if _status("config-flow") != "done":
        return
    assert MANIFEST["config_flow"] is True
    steps = [
        *STRINGS["config"]["step"].items(),
        *STRINGS["options"]["step"].items(),
        *(
            item
            for subentry in STRINGS["config_subentries"].values()
            for item in subentry["step"].items()
        ),
    ]
    for step, texts in steps:
        assert set(texts.get("data", {})) <= set(texts.get("data_description", {})), (
            step
        )


def test_flows() -> None:
    flow = _source("config_flow.py")
    if _status("reauthentication-flow") == "done":
        assert "async def async_step_reauth(" in flow
    if _status("reconfiguration-flow") == "done":
        assert "async def async_step_reconfigure(" in flow
    if _status("unique-config-entry") == "done":
        assert "self._abort_if_unique_id_configured()" in flow


def test_dependency_transparency() -> None:
    if _status("dependency-transparency") == "done":
        for requirement in MANIFEST["requirements"]:
            assert re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][0-9A-Za-z.]*", requirement)


def test_integration_owner() -> None:
    if _status("integration-owner") == "done":
        assert MANIFEST["codeowners"]
        assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])


def test_diagnostics() -> None:
    if _status("diagnostics") == "done":
        tree = ast.parse(_source("diagnostics.py"))
        assert any(
            isinstance(node, ast.AsyncFunctionDef)
            and node.name == "async_get_config_entry_diagnostics"
            for node in tree.body
        )


def test_icon_translations() -> None:
    if _status("icon-translations") != "done":
        return
    icons = json.loads(_source("icons.json"))
    for platform, keys in STRINGS["entity"].items():
        assert set(keys) <= set(icons["entity"][platform]), platform
    assert set(STRINGS["services"]) <= set(icons["services"])


def test_repair_issues() -> None:
    if _status("repair-issues") != "done":
        return
    assert "issue_registry" in _source("issues.py")
    assert STRINGS.get("issues")


def test_cited_test_files_exist() -> None:
    # The tests the notes cite for set-up checks, issues, diagnostics, flows.
    for rule, test in (
        ("test-before-setup", "test_setup_checks.py"),
        ("repair-issues", "test_issues.py"),
        ("diagnostics", "test_diagnostics.py"),
        ("config-flow-test-coverage", "test_config_flow.py"),
    ):
        if _status(rule) == "done":
            assert (ROOT / "tests" / test).is_file(), test


def test_no_discovery_where_exempt() -> None:
    ways = {"zeroconf", "ssdp", "dhcp", "usb", "bluetooth", "homekit", "mqtt"}
    if _status("discovery") == "exempt":
        assert not ways & set(MANIFEST)
        assert "async_step_zeroconf" not in _source("config_flow.py")


def test_no_conditions_or_triggers_where_exempt() -> None:
    if _status("docs-conditions") == "exempt":
        assert not (INTEGRATION / "condition.py").exists()
        assert not (INTEGRATION / "device_condition.py").exists()
    if _status("docs-triggers") == "exempt":
        assert not (INTEGRATION / "trigger.py").exists()
        assert not (INTEGRATION / "device_trigger.py").exists()


# The documentation (README.md), for the docs-* rules claimed.

DOCS_SECTIONS = {
    "docs-installation-instructions": "## Installation",
    "docs-removal-instructions": "## Removal",
    "docs-configuration-parameters": "## Options",
    "docs-examples": "## Automation examples",
    "docs-known-limitations": "## Known limitations",
    "docs-troubleshooting": "## Troubleshooting",
}


@pytest.mark.parametrize("rule", sorted(DOCS_SECTIONS))
def test_docs_sections(rule: str) -> None:
    if _status(rule) == "done":
        assert f"\n{DOCS_SECTIONS[rule]}\n" in README


def test_docs_actions() -> None:
    if _status("docs-actions") != "done":
        return
    services = yaml.safe_load(_source("services.yaml"))
    for action, spec in services.items():
        assert f"click_to_call.{action}" in README
        for field in spec["fields"]:
            assert f"`{field}`" in README, field


def test_docs_installation_parameters() -> None:
    if _status("docs-installation-parameters") != "done":
        return
    steps = STRINGS["config"]["step"]
    for provider in steps["user"]["menu_options"]:
        for label in steps[provider]["data"].values():
            assert f"**{label}**" in README, (provider, label)


def test_docs_configuration_parameters() -> None:
    if _status("docs-configuration-parameters") != "done":
        return
    options = STRINGS["options"]["step"]["init"]["data"].values()
    contact = STRINGS["config_subentries"]["contact"]["step"]["user"]["data"].values()
    for label in (*options, *contact):
        assert f"**{label}**" in README, label
