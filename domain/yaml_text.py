"""YAML read as YAML 1.2 reads it: only true/false are booleans; `on`, `off`, `yes`, `no` stay strings.

PyYAML implements YAML 1.1, where ``on: booking`` (a CRM mapping's key) becomes ``True: booking``. Admins
write configuration files expecting the 1.2 core schema; this loader drops the 1.1 boolean words.
"""

import re
from typing import Any

import yaml

BOOL_TAG = "tag:yaml.org,2002:bool"


class Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2's booleans (true/false in any of their three spellings)."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != BOOL_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str) -> Any:
    """Parse ``text`` (YAML or JSON) with YAML 1.2 booleans; raises ``yaml.YAMLError`` when it is not YAML."""
    return yaml.load(text, Loader=Yaml12Loader)
