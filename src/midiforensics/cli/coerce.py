"""Command-line values checked without pydantic.

Typer 0.29 checks every value (even an option left unset) through a pydantic ``TypeAdapter``
built on first use; importing pydantic and building the adapters took about 0.1 s at every
start of ``mf``. The values ``mf`` takes are plain (``str``, ``int``, ``bool``, ``Path`` and
lists of them) and are checked here as pydantic would. Anything else (a number out of range or written
oddly, a path typer refuses) goes on to typer's own check, so results and messages stay
typer's. With a typer without these internals, typer's checks are left as they are.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_origin

if TYPE_CHECKING:
    from typer._click import Context, Parameter
    from typer.core import _TyperParameter
    from typer.models import ParameterInfo

try:
    from typer._click.exceptions import BadParameter
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_path
    from typer.core import _TyperParameter as _Param
except ImportError:  # pragma: no cover - a typer without them: its own checks stay
    _Param = None  # type: ignore[assignment,misc]

_INT = re.compile(r"[+-]?[0-9]{1,18}")  # what int() and pydantic read alike
_PLAIN = (str, int, bool, Path)
_DEFER = object()


def _plain_value(
    annotation: Any, info: ParameterInfo, value: Any, param: _TyperParameter, ctx: Context
) -> Any:
    """``value`` checked as typer's adapter would, or ``_DEFER`` when that is not certain."""
    if annotation is str or annotation is bool:
        return value if type(value) is annotation else _DEFER
    if annotation is int:
        if type(value) is int:
            n = value
        elif type(value) is str and _INT.fullmatch(value):
            n = int(value)
        else:
            return _DEFER
        if info.clamp or (info.min is not None and n < info.min):
            return _DEFER
        return n if info.max is None or n <= info.max else _DEFER
    if annotation is Path and info.path_type is None and type(value) is str:
        try:  # pydantic reads a str as Path(str); the checks after that are typer's own
            return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
        except BadParameter:
            return _DEFER  # typer's message names the value as given
    return _DEFER


if _Param is not None:

    class _PlainParam(RuntimeParam):
        """Coercion of a plain value, or of a list of them, without pydantic."""

        def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
            ann, info = self.annotation, self.parameter_info
            if get_origin(ann) is list:
                if isinstance(value, list | tuple):
                    (item,) = get_args(ann)
                    out = [_plain_value(item, info, v, param, ctx) for v in value]
                    if _DEFER not in out:
                        return out
            else:
                got = _plain_value(ann, info, value, param, ctx)
                if got is not _DEFER:
                    return got
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def _plain(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return len(args) == 1 and args[0] in _PLAIN
    return annotation in _PLAIN


def use_plain_coercion(params: list[Parameter]) -> list[Parameter]:
    """``params``, the plain ones among them now checked without pydantic."""
    if _Param is None:
        return params  # pragma: no cover
    for p in params:
        if not isinstance(p, _Param) or getattr(p, "_runtime_param", None) is not None:
            continue
        desc = p.type_descriptor
        info = desc.parameter_info
        if desc.file_annotation is None and info.parser is None and _plain(desc.annotation):
            p._runtime_param = _PlainParam(parameter_info=info, annotation=desc.annotation)
    return params
