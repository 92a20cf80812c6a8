"""
Which modules a pipeline YAML may name: Haystack's own, the application's components, and what the user trusts.

Haystack 3 builds only classes from trusted modules (its own, by default) and refuses the rest; Haystack 2.x builds
whatever a YAML names. The application checks every YAML it builds itself, the same way under both majors, before
Haystack sees it: the classes of Haystack's namespaces and of `extractive_qa.components` load, and so do those of the
modules named in Haystack 3's own `HAYSTACK_DESERIALIZATION_ALLOWLIST` (comma-separated patterns, `mypkg.*`); any
other is refused in one line. Under Haystack 3 the pipeline is then built trusting `extractive_qa.components` for
that call only (`Pipeline.from_dict(..., allowed_modules=...)`), nothing process-wide. Nothing here imports Haystack.

Usage example:
```python
from extractive_qa.trusted_modules import check_trusted, is_trusted

assert is_trusted("extractive_qa.components.answer_deduplicator")
assert not is_trusted("os")
check_trusted({"components": {"x": {"type": "os.system", "init_parameters": {}}}}, "my.yml")  # InvalidSettings
```
"""

from __future__ import annotations

import fnmatch
import importlib
import os
from collections.abc import Iterator
from typing import Any

from extractive_qa.errors import InvalidSettings

# The application's own modules: the only ones it adds to what Haystack trusts.
OWN_MODULES: tuple[str, ...] = ("extractive_qa.components",)
# What Haystack 3 trusts by default (its `DEFAULT_ALLOWED_MODULES`).
HAYSTACK_MODULES: tuple[str, ...] = (
    "haystack",
    "haystack_integrations",
    "haystack_experimental",
    "builtins",
    "typing",
    "collections",
)
# Haystack 3's environment variable for more trusted modules; honoured under Haystack 2.x as well.
ALLOWLIST_ENV_VAR = "HAYSTACK_DESERIALIZATION_ALLOWLIST"


def module_matches(module: str, pattern: str) -> bool:
    """
    Whether a module matches a trusted-module pattern, as Haystack 3 matches them.

    `"mypkg"` and `"mypkg.*"` match `mypkg` and its submodules; a pattern with other wildcards is matched with
    `fnmatch`.
    """
    if pattern.endswith(".*") and not any(c in pattern[:-2] for c in "*?["):
        pattern = pattern[:-2]
    elif any(c in pattern for c in "*?["):
        return fnmatch.fnmatchcase(module, pattern)
    return module == pattern or module.startswith(pattern + ".")


def trusted_patterns() -> list[str]:
    """Haystack's namespaces, the application's components and the patterns of `HAYSTACK_DESERIALIZATION_ALLOWLIST`."""
    extra = [p.strip() for p in os.environ.get(ALLOWLIST_ENV_VAR, "").split(",") if p.strip()]
    return [*HAYSTACK_MODULES, *OWN_MODULES, *extra]


def is_trusted(module: str) -> bool:
    """Whether a pipeline YAML may name classes of this module."""
    return any(module_matches(module, pattern) for pattern in trusted_patterns())


def named_classes(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """
    (component name, class path) for every class a pipeline dictionary names: each component's `type`, and every
    dotted `type` inside its parameters (a document store, say). Secrets' `type: env_var` and the like are no class.
    """
    components = data.get("components")
    if not isinstance(components, dict):
        return
    for name, definition in components.items():
        stack: list[Any] = [definition]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                kind = item.get("type")
                if isinstance(kind, str) and "." in kind:
                    yield str(name), kind
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)


def check_trusted(data: dict[str, Any], source: str = "the pipeline YAML") -> None:
    """
    Refuses a pipeline dictionary that names a class of an untrusted module.

    :param data: The pipeline, as read from YAML.
    :param source: What it was read from, for the message.
    :raises InvalidSettings: In one line naming `source`, the component and the module.
    """
    for name, class_path in named_classes(data):
        module = class_path.rpartition(".")[0]
        if not is_trusted(module):
            raise InvalidSettings(
                f"{source} does not load: component '{name}' names a class of module '{module}', which is not "
                f"trusted (trusted: Haystack's modules and {', '.join(OWN_MODULES)}; add others to "
                f"{ALLOWLIST_ENV_VAR} if you trust them)"
            )


def import_trusted_class(class_path: str, source: str = "the pipeline YAML") -> type:
    """
    Imports a class a pipeline YAML names (a document store, say), after checking that its module is trusted.

    :raises InvalidSettings: When the module is not trusted, or the class cannot be imported (one line).
    """
    module_name, _, class_name = class_path.rpartition(".")
    if not is_trusted(module_name):
        raise InvalidSettings(
            f"{source} names a class of module '{module_name}', which is not trusted (add it to {ALLOWLIST_ENV_VAR} "
            "if you trust it)"
        )
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise InvalidSettings(f"{source} names '{class_path}', which cannot be imported: {error}") from error
    if not isinstance(found, type):
        raise InvalidSettings(f"{source} names '{class_path}', which is not a class")
    return found
