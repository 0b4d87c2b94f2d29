"""JSON Schemas of the input files, generated from the pydantic models and shipped beside them.

An editor pointed at one (``# yaml-language-server: $schema=...``, see params/README.md) completes keys
and flags a wrong key or value as it is typed. The files are generated, never edited:
``python -m peel.inputs.schemas`` rewrites them, and a test fails when a model and its shipped file
disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

from peel.files import atomic_write
from peel.inputs.schemas.catalogue import CatalogueModel
from peel.inputs.schemas.dataset import DatasetInfoModel
from peel.inputs.schemas.inspection import ForceInputsModel
from peel.inputs.schemas.report import ReportModel

#: The folder the schema files are shipped in (package data).
SCHEMA_DIR = Path(__file__).resolve().parent

#: Schema file stem -> (model, the file it describes).
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "report": (ReportModel, "notebooks/report.yaml"),
    "measures": (CatalogueModel, "data/measures.yaml"),
    "dataset": (DatasetInfoModel, "data/dataset.yaml"),
    "inspection": (ForceInputsModel, "params/<force_id>.yaml"),
}


class _PeelJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, with mappings whose keys follow a pattern closed to any other key
    (the models refuse such keys, so the schema must too)."""

    def dict_schema(self, schema: Any) -> Any:
        out = super().dict_schema(schema)
        if "patternProperties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``model``, as it is shipped."""
    schema = model.model_json_schema(schema_generator=_PeelJsonSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text(name: str) -> str:
    """The text of ``<name>.schema.json``: stable key order, UTF-8, a final newline."""
    model, describes = SCHEMAS[name]
    schema = json_schema(model)
    schema["$comment"] = (f"Generated from {model.__module__}.{model.__name__} by 'python -m peel.inputs.schemas'; "
                          f"describes {describes}. Do not edit.")
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schema_path(name: str) -> Path:
    """Where ``<name>.schema.json`` is shipped."""
    return SCHEMA_DIR / f"{name}.schema.json"


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """(Re)write every schema file in ``folder``; return the paths whose content changed."""
    changed = []
    for name in SCHEMAS:
        path = Path(folder) / f"{name}.schema.json"
        text = schema_text(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            atomic_write(path, text)
            changed.append(path)
    return changed
