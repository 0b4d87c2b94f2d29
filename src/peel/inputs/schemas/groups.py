"""The schema of a dataset's groups of most similar forces: the ``groups`` entry of ``dataset.yaml``
(which file, its title, whether it is illustrative, where it came from) and one row of the file
(``force_id,group``)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar

from pydantic import PlainValidator, WithJsonSchema

from peel.inputs.schemas.base import Flag, StrictModel, describe, fail, text

#: The groups file is a CSV file in the dataset folder itself (no folders, so nothing outside it is read).
GROUPS_FILE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\.csv$")
#: The columns of the groups file, in order.
GROUPS_COLUMNS = ("force_id", "group")


def _check_file(value: Any) -> str:
    if not isinstance(value, str) or not GROUPS_FILE_PATTERN.fullmatch(value):
        raise fail(f"expected the name of a CSV file in the dataset folder (such as groups.csv), "
                   f"found {describe(value)}")
    return value


GroupsFile = Annotated[str, PlainValidator(_check_file),
                       WithJsonSchema({"type": "string", "pattern": GROUPS_FILE_PATTERN.pattern})]


class GroupsDeclaration(StrictModel):
    """``groups:`` in ``dataset.yaml``: groups of most similar forces that measures with
    ``compare: group`` compare a force with."""

    what: ClassVar[str] = "the groups of most similar forces"

    file: GroupsFile
    title: Annotated[str, text(300, nonempty=True, what="the grouping's name as text")]
    # true: made up to show the feature; every report showing a group says it is not a published grouping
    illustrative: Flag
    # The id of an entry of ``sources`` (checked by DatasetInfoModel, which holds them): where the grouping
    # was published, or, for an illustrative one, who made it up (table: none).
    source: Annotated[str, text(200, nonempty=True, what="the id of an entry of 'sources'")]


class GroupRow(StrictModel):
    """One row of the groups file: a force and the name of its group."""

    what: ClassVar[str] = "a row of the groups file"

    force_id: Annotated[str, text(100, nonempty=True)]
    group: Annotated[str, text(100, nonempty=True, what="the group's name as text")]
