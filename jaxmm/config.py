"""Validation of config.yaml against workflow/schemas/config.schema.yaml.

Errors name the key (as a dotted path) and what is allowed, one line each, e.g.::

    config error at ingest.futures: unknown key 'n_tenor'; allowed: n_tenors, roll_business_days, sources
"""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


def _key_path(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError, prefix: str = "") -> str:
    where = _key_path([*prefix.split("."), *error.absolute_path] if prefix else error.absolute_path)
    schema = error.schema
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {})))
        extra = sorted(set(error.instance) - set(schema.get("properties", {})))
        return f"config error at {where}: unknown key {', '.join(map(repr, extra))}; allowed: {allowed}"
    if error.validator == "enum":
        allowed = ", ".join(map(str, schema["enum"]))
        return f"config error at {where}: {error.instance!r} is not allowed; allowed: {allowed}"
    if error.validator == "required":
        return f"config error at {where}: {error.message}"
    desc = schema.get("description")
    return f"config error at {where}: {error.message}" + (f" ({desc})" if desc else "")


def _fill_defaults(instance, schema: dict, root: dict) -> None:
    if "$ref" in schema:
        ref = schema["$ref"].removeprefix("#/").split("/")
        target = root
        for part in ref:
            target = target[part]
        _fill_defaults(instance, target, root)
        return
    if isinstance(instance, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in instance and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                _fill_defaults(instance[key], sub, root)
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for item in instance:
            _fill_defaults(item, schema["items"], root)


def _inline_file_refs(node, base_dir: Path):
    """Replace ``{"$ref": "other.yaml#/a/b"}`` by that part of the other file (same folder)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            file_part, _, pointer = ref.partition("#")
            target = yaml.safe_load((base_dir / file_part).read_text())
            for part in filter(None, pointer.split("/")):
                target = target[part]
            return _inline_file_refs(target, base_dir)
        return {k: _inline_file_refs(v, base_dir) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_file_refs(v, base_dir) for v in node]
    return node


def load_schema(schema_path: str | Path = SCHEMA_PATH) -> dict:
    schema_path = Path(schema_path)
    return _inline_file_refs(yaml.safe_load(schema_path.read_text()), schema_path.parent)


def validate_config(config: dict, schema_path: str | Path = SCHEMA_PATH) -> dict:
    """Check ``config`` in place (defaults filled in); raise ConfigError listing every problem."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("\n".join(_describe(e) for e in errors))
    _fill_defaults(config, schema, schema)
    return config


def load_config(path: str | Path) -> dict:
    """Read and validate a config file (for notebooks and tests)."""
    text = Path(path).read_text()
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(config, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    return validate_config(config)


def reference_table(schema_path: str | Path = SCHEMA_PATH) -> str:
    """The configuration reference of docs/config.md (markdown), generated from the schema."""
    rows: list[tuple[str, str, str, str]] = []

    def type_of(node: dict) -> str:
        if node.get("type") == "array" and "items" in node:
            items = node["items"]
            return "list of " + (("one of " + ", ".join(items["enum"])) if "enum" in items else items.get("type", ""))
        kind = node.get("type", "")
        kind = " or ".join(kind) if isinstance(kind, list) else kind    # nullable: [integer, "null"]
        text = "one of " + ", ".join(map(str, node["enum"])) if "enum" in node else kind
        bounds = [f"{op} {node[key]}" for key, op in (("minimum", ">="), ("exclusiveMinimum", ">"),
                                                     ("maximum", "<="), ("exclusiveMaximum", "<"))
                  if key in node and abs(node[key]) < 1e15]
        return " ".join([text, ", ".join(bounds)]).strip()

    def walk(node: dict, path: str) -> None:
        desc = node.get("description", "")
        items = node.get("items")
        if node.get("type") == "array" and isinstance(items, dict) and "properties" in items:
            rows.append((path, "list of mappings", "", desc))
            walk(items, path + "[]")
        elif "properties" in node:
            if path:
                rows.append((path, "mapping", "", desc))
            for key, sub in node["properties"].items():
                walk(sub, f"{path}.{key}" if path else key)
        else:
            default = f"`{node['default']}`" if "default" in node else ""
            rows.append((path, type_of(node), default, desc))

    walk(load_schema(schema_path), "")
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in (f"`{p}`", t, d, m)) + " |"
              for p, t, d, m in rows]
    return "\n".join(lines)
