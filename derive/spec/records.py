"""The validated, immutable records an exercise file turns into."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from sympy import Expr

from derive.errors import DeriveError, DomainError, InputError, ParseError, SpecError


@dataclass(frozen=True, slots=True)
class Place:
    """Where a value starts in the file (1-based), and whether a column inside its text
    maps onto the file (true for one-line plain and quoted scalars)."""

    line: int
    column: int
    inline: bool = False
    offsets: tuple[int, ...] = ()
    """Where each character of the value stands, from `column`, when escapes or doubled
    quotes make the written text longer than the value; empty when they coincide."""

    def at(self, column: int) -> int:
        """The file column of the value's 1-based `column` (its start if it does not map)."""
        if not column or not self.inline:
            return self.column
        if self.offsets:
            return self.column + self.offsets[min(column, len(self.offsets)) - 1]
        return self.column + column - 1


@dataclass(frozen=True, slots=True)
class Limit:
    """`z -> 0+`: a variable, where it goes, and from which side ("+", "-" or "+-")."""

    variable: str
    target: Expr
    side: str
    text: str


@dataclass(frozen=True, slots=True)
class DescentSpec:
    parameters: tuple[str, ...] | None
    """Inputs to update (a vector's name selects every component); None means all."""
    learning_rate: Expr
    steps: int
    ascent: bool
    objective: str | None
    """An expression of the function's output (by the function's name) and its inputs,
    such as (f - 1)^2 / 2; None means the function itself."""


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    about: tuple[str, ...]
    """Topics whose computed facts answer the question (see derive.spec.schema.TOPICS)."""


@dataclass(frozen=True, slots=True)
class Vary:
    """`vary:` for one input: the values students' variants draw from (see derive.assign)."""

    name: str
    """A name declared in `at` (a vector's every component draws from the same values)."""
    values: tuple[Expr, ...]
    """Exact values in increasing order (a range `{from, to, step}` written out, or a list)."""


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise as declared, validated."""

    id: str
    title: str
    function: str
    at: Mapping[str, Expr | tuple[Expr, ...]]
    where: Mapping[str, str] = field(default_factory=dict)
    descent: DescentSpec | None = None
    limits: tuple[Limit, ...] = ()
    questions: tuple[Question, ...] = ()
    variants: Mapping[str, str] = field(default_factory=dict)
    """Other functions derived at the same point and compared in one table."""
    solution: str = "open"
    """"open" or "collapsed" (shown on request)."""
    statement: str = ""
    """Markdown."""
    instructions: tuple[str, ...] = ()
    notes: str = ""
    """Markdown, shown after the solution."""
    digits: int = 4
    """Significant digits of the decimals on the page."""
    trusted: bool = False
    """The file says `trusted: true`: its prose is full MyST (a site must also set
    `derive_trust_exercises = True` in conf.py to build it)."""
    circuit: str = "fused"
    """"fused" (sigmoid as one gate) or "expanded" (into primitives): the circuit shown
    first; the page offers the other where expanding changes the drawing."""
    vary: tuple[Vary, ...] = ()
    """Inputs drawn per student by `derive assign` and the exports; empty: none vary."""
    clean: bool = True
    """Whether students' variants must have clean numbers (see derive.assign.variants)."""
    given: tuple[str, ...] = ()
    """Inputs that are data, not parameters (a vector's name means all its components)."""
    path: str = "<string>"
    places: Mapping[str, Place] = field(default_factory=dict, repr=False, compare=False)
    """Where each value starts: "" (the exercise), "function", "at.x", "where.q", ..."""

    def error(self, key: str, message: str, column: int = 0) -> SpecError:
        """A SpecError at the value of `key` (or the nearest enclosing key that has one);
        `column` (1-based, in the value's text) moves the column when it maps."""
        while key not in self.places and key:
            key = key.rsplit(".", 1)[0] if "." in key else ""
        place = self.places.get(key, Place(1, 1))
        return SpecError(self.path, place.line, place.at(column), message)

    @contextmanager
    def located(self, key: str) -> Iterator[None]:
        """Turn a DeriveError raised while deriving the value at `key` into a SpecError at
        the right place: an expression error at its column, a value error at that value,
        a point outside the domain at `at`."""
        try:
            yield
        except SpecError:
            raise
        except ParseError as exc:
            texts = {key: self._text(key), **{f"where.{n}": t for n, t in self.where.items()}}
            target = next((k for k, t in texts.items() if t == exc.text), key)
            raise self.error(target, str(exc), exc.column) from None
        except InputError as exc:
            named = next((f"at.{n}" for n in self.at if f"{n!r}" in str(exc)), "at")
            raise self.error(named, str(exc)) from None
        except DomainError as exc:
            raise self.error("at", f"{exc}") from None
        except DeriveError as exc:
            raise self.error(key, str(exc)) from None

    def _text(self, key: str) -> str | None:
        if key == "function":
            return self.function
        if key.startswith("variants."):
            return self.variants.get(key.split(".", 1)[1])
        if key == "descent.objective" and self.descent is not None:
            return self.descent.objective
        return None


@dataclass(frozen=True, slots=True)
class Spec:
    """A whole exercise file."""

    path: str
    title: str
    description: str
    """Markdown for the index page."""
    exercises: tuple[Exercise, ...]
    trusted: Place | None = None
    """Where the file says `trusted: true` (None when it does not): its prose is not
    checked against the safe subset, and a site builds it only if conf.py agrees."""
