"""What every section model of app.yaml shares, and the one error that reports them all.

The section models live beside the feature they configure (`nudges:` in scheduler/policy.py,
`email:` in scheduler/email.py, `slack:`, `teams:`, `graph:` in the doors' config modules);
bot/settings.py composes them into the whole file. This base sits in the lowest layer that
reads settings, so the scheduler's sections can use it without importing `bot/`.

- An unknown key is refused with its dotted path (a misspelt key would otherwise be ignored);
  a key that has moved (a section's `moved`) is refused with the key that took its place.
- Values are strict: `enabled: "false"` is text, not a boolean, and is refused; a number
  written in quotes is refused too.
- A key marked TestOnly is refused unless the test harness marker is set (tests/conftest.py).
- Every problem of the file is reported at once, in one SettingsError, each with its path and
  how to fix it.
"""

from __future__ import annotations

import difflib
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Set (to 1) by tests/conftest.py, and so for every process the tests start: test-only keys are allowed.
TEST_HARNESS = "PARTNERBOT_TEST_HARNESS"

# Keys that hold a secret: in app.yaml they are refused with a pointer to the environment.
SECRET_KEYS = frozenset(
    {
        "password",
        "app_password",
        "secret",
        "client_secret",
        "token",
        "bot_token",
        "app_token",
        "signing_secret",
    }
)

Port = Annotated[int, Field(ge=0, le=65535, description="a port number")]  # 0: any free port (tests)


class SettingsError(ValueError):
    """app.yaml (or the environment overriding it) cannot be used: every problem, each with how to fix it."""

    def __init__(self, problems: list[str] | str, source: str = "app.yaml") -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        self.source = source
        if isinstance(problems, str):
            text = problems
        elif len(problems) == 1:
            text = f"{source}: {problems[0]}"
        else:
            text = f"{source} has {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)
        super().__init__(text)


@dataclass(frozen=True)
class TestOnly:
    """Marks a key that only the tests may set; `why` says what it is for (shown when it is refused)."""

    why: str


def in_test_harness() -> bool:
    return os.environ.get(TEST_HARNESS) == "1"


def secret(name: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """A secret from the environment (never from app.yaml); unset or blank is None."""
    value = (os.environ if environ is None else environ).get(name) if name else None
    return value.strip() if value and value.strip() else None


class Section(BaseModel):
    """A mapping of app.yaml: unknown keys refused, strict values, an empty section means the defaults."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # Keys this section no longer has → where they went (named when such a key is refused).
    moved: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _empty_is_defaults(cls, data: Any) -> Any:
        return {} if data is None else data  # `email:` with every line commented out

    @field_validator("*", mode="before")
    @classmethod
    def _test_only(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        marks = [m for m in field.metadata if isinstance(m, TestOnly)] if field else []
        if marks and value is not None and value is not False and not in_test_harness():
            raise ValueError(f"is for tests only ({marks[0].why}): remove it from app.yaml")
        return value

    @classmethod
    def read(cls, data: Mapping[str, Any] | None, where: str) -> Self:
        """This section alone, from its mapping in app.yaml (`where` is its key there)."""
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise settings_error(e, cls, prefix=(where,)) from None


# --- the error message ------------------------------------------------------------------------------------


def settings_error(
    error: ValidationError, model: type[BaseModel], source: str = "app.yaml", prefix: tuple[str, ...] = ()
) -> SettingsError:
    return SettingsError([problem(e, model, prefix) for e in error.errors()], source)


def dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problem(e: Any, model: type[BaseModel], prefix: tuple[str, ...] = ()) -> str:
    loc = tuple(e["loc"])
    path = dotted(prefix + loc)
    kind, value, ctx = e["type"], e.get("input"), e.get("ctx") or {}
    shown = repr(value)
    if kind == "extra_forbidden":
        return f"{path}: {unknown_key(str(loc[-1]), _model_at(model, loc[:-1]))}"
    fix = {
        "missing": "is needed: add it",
        "bool_type": f"must be true or false, without quotes, not {shown}",
        "int_type": f"must be a whole number, without quotes, not {shown}",
        "int_from_float": f"must be a whole number, not {shown}",
        "float_type": f"must be a number, without quotes, not {shown}",
        "string_type": f"must be text, not {shown}",
        "list_type": f"must be a list, e.g. [a, b], not {shown}",
        "dict_type": f"must be a mapping of settings, not {shown}",
        "model_type": f"must be a mapping of settings, not {shown}",
        "literal_error": f"must be {ctx.get('expected')}, not {shown}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}, not {shown}",
        "greater_than": f"must be more than {ctx.get('gt')}, not {shown}",
        "less_than_equal": f"must be at most {ctx.get('le')}, not {shown}",
        "less_than": f"must be less than {ctx.get('lt')}, not {shown}",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters, not {len(str(value))}",
        "string_too_short": "must not be empty",
        "string_pattern_mismatch": f"is not in the expected form: {shown}",
        "value_error": str(ctx.get("error", e["msg"])),
    }.get(kind, f"{e['msg']} (not {shown})")
    parent = _model_at(model, loc[:-1]) if loc else None
    field = (
        next((f for n, f in parent.model_fields.items() if loc[-1] in (n, f.alias)), None) if parent else None
    )
    if field is not None and field.description:
        fix += f" ({field.description})"
    return f"{path}: {fix}" if path else fix


def unknown_key(key: str, model: type[BaseModel] | None) -> str:
    moved = getattr(model, "moved", {}) if model is not None else {}
    if key in moved:
        return f"has moved to {moved[key]}: set it there and remove it here"
    if key.lower() in SECRET_KEYS and model is not None and "password_env" in model.model_fields:
        return (
            "no secrets in app.yaml: remove it, put the secret in an environment variable "
            "and name that variable in password_env"
        )
    if key.lower() in SECRET_KEYS:
        return (
            "no secrets in app.yaml: remove it and put the secret in the environment "
            "(docs/configuration.md lists the variables)"
        )
    if model is None:
        return "unknown setting: remove it"
    known = sorted(f.alias or name for name, f in model.model_fields.items())
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return f"unknown setting; {hint}known here: {', '.join(known)}"


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The section model a path leads to (for the keys known there), or None."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next(
                (f for name, f in current.model_fields.items() if part in (name, f.alias)),
                None,
            )
            if field is None:
                return None
            current = field.annotation
        elif get_origin(current) in (dict, list, tuple, Mapping):
            current = get_args(current)[-1 if get_origin(current) in (dict, Mapping) else 0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    """`Annotated[X, …]` and `X | None` are X."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp
