"""The declared schemas: shipped JSON Schemas are current, shipped inputs satisfy them, and each JSON
Schema agrees with its pydantic model on the same generated documents (valid and invalid).

JSON Schema cannot say everything the models check (``k`` at most ``n``, a sentence's placeholders,
a period that parses). The generated documents change keys and types (a key deleted, an unknown key,
a value of the wrong type or out of range), which both must judge alike; the checks JSON Schema cannot
express are covered by the bad-input corpus.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from peel.inputs.schemas.export import SCHEMAS, json_schema, schema_path, schema_text
from peel.inputs.schemas.inspection import Figure

REPO = Path(__file__).resolve().parents[1]


def _plain(x: Any) -> Any:
    """A YAML document as JSON would hold it (dates as ISO text)."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    return x


def _load(relative: str) -> Any:
    return _plain(yaml.safe_load((REPO / relative).read_text(encoding="utf-8")))


def _inspection() -> dict[str, Any]:
    """Inspection inputs with one figure of every kind, each sentence using a placeholder it always has."""
    fig = [
        {"kind": "sample_estimate", "k": 265, "n": 280, "what": "records", "period": "2023",
         "previous": {"period": "2021", "k": 205, "n": 270}, "says": "{percent}"},
        {"kind": "sample_count", "k": 109, "n": 128, "says": "{k} of {n}"},
        {"kind": "reported", "values": {"hours": 140000.5}, "says": "no {{braces}} {hours}"},
        {"kind": "change", "unit": "percent", "from": {"label": "2022", "value": 57}, "to": {"label": "2024",
                                                                                             "value": 13.4},
         "says": "{from} to {to}"},
        {"kind": "derived", "rule": "prudent_reserve", "budget": 4.0e9, "held": 1.0e8, "says": "{low}"},
        {"kind": "derived", "rule": "budget_gap", "requirement": 4.5e9, "funding": 4.1e9, "says": "{gap}"},
        {"kind": "derived", "rule": "shortfall", "target": 1000, "achieved": 900, "unit": "count",
         "says": "{shortfall}"},
    ]
    return {"force": "kent", "demonstration": False, "draft": False,
            "inspection": {"name": "PEEL 2023–2025", "published": "2025-03-01", "inspector": "A. N. Inspector"},
            "summary": "Better.",
            "areas": {"victim_service_assessment": None,
                      "police_powers": {"grade": "Adequate",
                                        "causes_of_concern": [{"heading": "A concern", "text": "Why."}],
                                        "areas_for_improvement": [{"heading": "An improvement"}],
                                        "findings": [{"heading": "A finding", "text": "Text.",
                                                      "measures": ["stop_search_rate"], "figures": fig}]}}}


def _dataset() -> dict[str, Any]:
    doc = _load("data/dataset.yaml")
    doc["sources"] = {"ons-mype-2022": {"publisher": "Office for National Statistics", "licence": "OGL v3.0",
                                        "table": "MYE2", "file": "mye22.xlsx", "sha256": "0" * 64, "rows": 43}}
    return doc


BASES = {"report": lambda: _load("notebooks/report.yaml"), "measures": lambda: _load("data/measures.yaml"),
         "dataset": _dataset, "inspection": _inspection}

#: Values that are wrong wherever they replace a number, a flag, a list or a mapping (a string replaces only
#: what is not a string: replacing text by text is a question of meaning, not of form).
JUNK = [None, True, -1, 1e16, "zzz", [], {}, [{"zzz": 1}], {"zzz": [1]}]


def _containers(doc: Any, path: tuple = ()) -> list[tuple]:
    """Paths of every mapping and list in ``doc``."""
    out = []
    if isinstance(doc, (dict, list)):
        out.append(path)
        for k, v in (doc.items() if isinstance(doc, dict) else enumerate(doc)):
            out += _containers(v, path + (k,))
    return out


def _at(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


@st.composite
def documents(draw: Any, name: str) -> Any:
    """A base document with 0 to 3 changes: a key or item deleted, an unknown key added, a value replaced."""
    doc = copy.deepcopy(BASES[name]())
    for _ in range(draw(st.integers(0, 3))):
        paths = _containers(doc)
        where = _at(doc, draw(st.sampled_from(paths)))
        keys = list(where) if isinstance(where, dict) else list(range(len(where)))
        op = draw(st.sampled_from(["delete", "add", "replace", "replace", "none"]))
        if op == "add" and isinstance(where, dict):
            where["zzz_unknown"] = copy.deepcopy(draw(st.sampled_from(JUNK)))
        elif keys and op in ("delete", "replace", "none"):
            key = draw(st.sampled_from(keys))
            if op == "delete":
                del where[key]
            elif op == "none":
                where[key] = None
            else:
                junk = [j for j in JUNK if not (isinstance(j, str) and isinstance(where[key], str))]
                where[key] = copy.deepcopy(draw(st.sampled_from(junk)))
    return doc


def test_shipped_schema_files_are_current() -> None:
    stale = [name for name in SCHEMAS if not schema_path(name).is_file()
             or schema_path(name).read_text(encoding="utf-8") != schema_text(name)]
    assert not stale, f"run 'python -m peel.inputs.schemas' to regenerate: {stale}"


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_each_schema_is_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads(schema_path(name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name, files", [
    ("report", ["notebooks/report.yaml"]), ("measures", ["data/measures.yaml"]), ("dataset", ["data/dataset.yaml"]),
    ("inspection", sorted(str(p.relative_to(REPO)) for p in (REPO / "params").glob("*.yaml"))),
])
def test_shipped_inputs_satisfy_their_json_schema(name: str, files: list[str]) -> None:
    validator = jsonschema.Draft202012Validator(json.loads(schema_path(name).read_text(encoding="utf-8")))
    assert files
    for f in files:
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(_load(f))]
        assert not errors, f"{f}: {errors[:3]}"


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_json_schema_and_model_agree(name: str) -> None:
    model = SCHEMAS[name][0]
    validator = jsonschema.Draft202012Validator(json_schema(model))
    verdicts: list[bool] = []

    @settings(max_examples=100, derandomize=True, database=None, deadline=None)
    @given(documents(name))
    def agree(doc: Any) -> None:
        schema_ok = validator.is_valid(doc)
        try:
            model.model_validate(doc)
            model_ok = True
        except ValidationError:
            model_ok = False
        assert schema_ok == model_ok, (f"JSON Schema says {'valid' if schema_ok else 'invalid'}, the model "
                                       f"{'valid' if model_ok else 'invalid'}:\n{json.dumps(doc)[:3000]}")
        verdicts.append(model_ok)

    agree()
    assert len(verdicts) >= 100
    assert True in verdicts and False in verdicts, "the documents should mix valid and invalid"


# ------------------------------------------------------------------------------------------------
# Validation is the gate: a figure the schema accepts can be stated


AMOUNTS = st.one_of(st.integers(0, 10**15), st.floats(0, 1e15, allow_nan=False), st.just(0.0))
UNITS = st.sampled_from(["count", "percent", "gbp"])


@st.composite
def figures(draw: Any) -> dict[str, Any]:
    """Figures of every kind with numbers anywhere in the accepted range (and some the rules refuse)."""
    def sample() -> tuple[int, int]:
        n = draw(st.integers(1, 10**15))
        return draw(st.integers(0, n)), n

    kind = draw(st.sampled_from(["sample_estimate", "sample_count", "reported", "change", "prudent_reserve",
                                 "budget_gap", "shortfall"]))
    if kind in ("sample_estimate", "sample_count"):
        k, n = sample()
        doc = {"kind": kind, "k": k, "n": n, "says": "{k} {n} {percent}"}
        if kind == "sample_estimate":
            doc["says"] += " {ci} {low} {high}"
            if draw(st.booleans()):
                pk, pn = sample()
                doc["previous"] = {"k": pk, "n": pn}
                doc["says"] += " {previous_percent} {previous_ci} {change} {difference}"
        return doc
    if kind == "reported":
        return {"kind": kind, "values": {"a": draw(AMOUNTS)}, "units": {"a": draw(UNITS)}, "says": "{a}"}
    if kind == "change":
        return {"kind": kind, "unit": draw(UNITS), "from": {"label": "2022", "value": draw(AMOUNTS)},
                "to": {"label": "2024", "value": draw(AMOUNTS)}, "says": "{from} {to} {difference} {direction}"}
    says = {"prudent_reserve": "{budget} {low} {high} {held}", "budget_gap": "{requirement} {funding} {gap}",
            "shortfall": "{target} {achieved} {shortfall}"}[kind]
    keys = {"prudent_reserve": ("budget", "held"), "budget_gap": ("requirement", "funding"),
            "shortfall": ("target", "achieved")}[kind]
    return {"kind": "derived", "rule": kind, "says": says, **{k: draw(AMOUNTS) for k in keys}}


@settings(max_examples=300, deadline=None)
@given(figures())
def test_a_figure_the_schema_accepts_can_be_stated(doc: dict[str, Any]) -> None:
    try:
        figure = TypeAdapter(Figure).validate_python(doc).figure()
    except ValidationError:
        return  # refused with a message: the bad-input corpus checks the messages
    sentence = figure.sentence()
    assert sentence.strip()
    for word in ("nan", "inf", "None", "{", "}"):
        assert word not in sentence, (doc, sentence)


# ------------------------------------------------------------------------------------------------
# One translation of pydantic's errors for every input


@pytest.mark.parametrize("name, container, typo, suggestion", [
    ("report", ("areas", 3), "notebok", "notebook"),
    ("measures", ("measures", "stop_search_rate"), "titel", "title"),
    ("dataset", ("sources", "ons-mype-2022"), "licnse", "licence"),
    ("inspection", ("areas", "police_powers", "findings", 0, "figures", 0), "previuos", "previous"),
])
def test_every_input_names_an_unknown_key_the_same_way(name: str, container: tuple, typo: str,
                                                       suggestion: str) -> None:
    from peel.inputs.schemas.base import key_path, problems_from

    model = SCHEMAS[name][0]
    doc = copy.deepcopy(BASES[name]())
    _at(doc, container)[typo] = 1
    with pytest.raises(ValidationError) as e:
        model.model_validate(doc)
    problems = problems_from(e.value, f"{name}.yaml", model)
    where = key_path([*container, typo])
    word = "field" if name == "measures" else "key"
    assert [p.where for p in problems] == [where]
    assert problems[0].message.startswith(f"unknown {word} (did you mean '{suggestion}'?): expected one of ")
    assert suggestion in problems[0].message.split("expected one of ")[1]
