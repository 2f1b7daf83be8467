"""pydantic models of the hand-edited results-tooling files, with their errors in the project's words.

The regress baseline, the sweep config and the paper reference are each a set of models built
on :class:`FileModel`: strict types (a quoted ``"false"`` is not a boolean, a quoted ``"0.5"``
not a number), no unknown keys. pydantic reports every problem in its own words and places;
:func:`validate` turns the first one, in the order a reader meets them, into one
:class:`~headrouter_eval.schema.SchemaError` line in the words every hand-edited file uses: the
file, the entry (``entries[3]``, ``models[0]``, ``benchmarks.mmau_pro``), the key, what was
found, and for an unknown key the key that was probably meant. In each entry the order is:
unknown keys, missing keys, then the keys in the model's field order.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from headrouter_eval.schema import SchemaError, unknown_key, value_kind

#: a string with something in it: blank is refused like a wrong type
Text = Annotated[str, Field(pattern=r"\S")]

NON_EMPTY_STRING = "must be a non-empty string"
#: pydantic's error types, in the words the files' messages use after the key
WORDS = {"string_type": NON_EMPTY_STRING, "string_too_short": NON_EMPTY_STRING,
         "string_pattern_mismatch": NON_EMPTY_STRING, "float_type": "must be a number",
         "int_type": "must be an integer", "bool_type": "must be true or false (unquoted)",
         "dict_type": "must be a mapping", "list_type": "must be a list", "path_type": "must be a string"}


class FileModel(BaseModel):
    """An entry of a hand-edited file (or the whole file): strict types, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    #: pydantic's own errors in this file's words, where :data:`WORDS` do not fit: ``{key: text}``
    #: for any error in that key's value, ``{(key, error type): text}`` for that error on the key
    #: itself (``missing`` included). The text may name ``{key}``, ``{value!r}`` (as written) and
    #: ``{type}`` (its Python type's name). A validator's ``ValueError`` keeps its own words.
    wording: ClassVar[dict[str | tuple[str, str], str]] = {}

    @classmethod
    def as_written(cls, data: Any) -> Any:
        """The mapping an entry written as ``data`` stands for (a shorthand spelled out); here ``data``."""
        return data

    @model_validator(mode="before")
    @classmethod
    def _spell_out(cls, data: Any) -> Any:
        return cls.as_written(data)


M = TypeVar("M", bound=FileModel)


def validate(model: type[M], data: Any, where: str) -> M:
    """``data`` as a ``model``, or :class:`SchemaError` with its first problem, prefixed by ``where``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise SchemaError(_first_problem(model, data, exc.errors(), where)) from None


def _first_problem(model: type[FileModel], data: Any, errors: list[dict], where: str) -> str:
    """The first of ``errors`` (locations relative to ``data``) in our words, naming ``where``."""
    data = model.as_written(data)
    if not isinstance(data, dict):
        return f"{where}: expected a mapping, found {value_kind(data)} {data!r}"
    fields = model.model_fields
    unknown = unknown_key(data, fields)
    if unknown:
        return f"{where}: {unknown}"
    wording = model.wording
    missing = [key for key, info in fields.items() if info.is_required() and key not in data
               and key not in wording and (key, "missing") not in wording]
    if missing:
        return f"{where}: missing required key(s) {missing}"
    for key in fields:
        mine = [error for error in errors if error["loc"][:1] == (key,)]
        if mine:
            return _key_problem(model, key, data, mine, where)
    return f"{where}: {_own_words(errors[0])}"  # a model validator's, run once every key passed


def _key_problem(model: type[FileModel], key: str, data: dict, errors: list[dict], where: str) -> str:
    """The first of ``errors`` inside ``data[key]``: a nested entry's own first problem, or a value's."""
    error = errors[0]
    loc = error["loc"]
    annotation: Any = model.model_fields[key].annotation
    value, path, name, depth = data.get(key), key, key, 1
    while True:
        nested = _bare(annotation)
        if isinstance(nested, type) and issubclass(nested, FileModel):
            inner = [dict(e, loc=e["loc"][depth:]) for e in errors if e["loc"][:depth] == loc[:depth]]
            return _first_problem(nested, value, inner, f"{where}: {path}")
        if depth == len(loc):
            break
        step = loc[depth]
        depth += 1
        if isinstance(value, list) and isinstance(step, int):
            # a list of plain values says "<key> entry" and shows the value: the files' wording
            annotation, value, name, path = _item(annotation, 0), value[step], f"{path} entry", f"{path}[{step}]"
        elif isinstance(value, dict) and step in value:
            annotation, value = _item(annotation, 1), value[step]
            name = path = f"{path}.{step}"
        else:  # the member a union tried (pydantic names it in the location): the value is this one
            annotation = None
    if error["type"] == "value_error":
        return f"{where}: {_own_words(error)}"
    written, wording = data.get(key), model.wording
    text = wording.get((key, error["type"])) if path == key else None
    text = text or wording.get(key)
    if text:
        return f"{where}: " + text.format(key=key, value=written, type=type(written).__name__)
    found = error["input"]
    if error["type"] in WORDS:
        return f"{where}: {name} {WORDS[error['type']]}, found {value_kind(found)} {found!r}"
    if error["type"] == "greater_than_equal":
        return f"{where}: {name} must be >= {error['ctx']['ge']:g}, found {found!r}"
    if error["type"] == "literal_error":
        return f"{where}: {name} {found!r} is not one of {error['ctx']['expected']}"
    return f"{where}: {name}: {error['msg']}"  # no words of ours for this one yet: pydantic's


def _own_words(error: dict) -> str:
    """A validator's ``ValueError`` as it was raised (pydantic prefixes "Value error, ")."""
    return str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]


def _bare(annotation: Any) -> Any:
    """``annotation`` without ``Annotated[...]`` and without ``| None``."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _item(annotation: Any, index: int) -> Any:
    """The item type of ``list[X]`` (index 0) or the value type of ``dict[K, X]`` (index 1), if that."""
    args = get_args(_bare(annotation)) if annotation is not None else ()
    return args[index] if len(args) > index else None
