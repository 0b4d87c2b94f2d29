"""``python -m peel.inputs.schemas``: rewrite the shipped JSON Schemas from the models."""

from peel.inputs.schemas.export import SCHEMAS, schema_path, write_schemas

changed = write_schemas()
for name in SCHEMAS:
    print(f"{schema_path(name)}: {'written' if schema_path(name) in changed else 'up to date'}")
