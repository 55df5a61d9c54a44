"""Configuration files load as an admin writes them: `on`, `off`, `yes`, `no` stay strings (YAML 1.2)."""

import re
from pathlib import Path

from domain.yaml_text import load_yaml
from worker import config_file, crm_config

ROOT = Path(__file__).resolve().parents[2]


def yaml_blocks(markdown: Path) -> list[str]:
    """Every ```yaml block of a markdown file, exactly as printed."""
    return re.findall(r"```yaml\n(.*?)```", markdown.read_text(), flags=re.DOTALL)


def test_yaml_1_1_boolean_words_stay_strings_and_true_false_stay_booleans():
    loaded = load_yaml("on: booking\nvalues: [yes, no, off, On, Y, n]\nflags: [true, false, True, FALSE]\n")
    assert loaded == {
        "on": "booking",
        "values": ["yes", "no", "off", "On", "Y", "n"],
        "flags": [True, False, True, False],
    }


def test_the_readme_crm_example_loads_and_checks_as_printed(tmp_path):
    blocks = [b for b in yaml_blocks(ROOT / "README.md") if "crm:" in b]
    assert blocks, "the README's CRM example is gone"
    for i, block in enumerate(blocks):
        path = tmp_path / f"readme-{i}.yaml"
        path.write_text(block)
        config = crm_config.check_crm(path, config_file.load(path), set())
        mapping = config.crm["eventTypes"][0]["salesforce"]["fieldMappings"]["mappings"][0]
        assert mapping["on"] == "booking"
        assert mapping["field"] == "Booking_Source__c"
