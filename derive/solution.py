"""The records of a solved exercise file: everything the pages print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from derive.derivation import Derivation
from derive.passes.analysis import Analysis
from derive.passes.descent import Descent
from derive.spec.records import Exercise, Spec


@dataclass(frozen=True, slots=True)
class Solution:
    """One exercise, solved."""

    exercise: Exercise
    derivation: Derivation
    variants: tuple[tuple[str, Derivation], ...]
    """The exercise's other functions at the same point, by label."""
    descent: Descent | None
    analysis: Analysis
    objective: Derivation | None = None
    """The derivation of the descent's objective (E = (f - 1)^2/2 of the inputs), when the
    descent minimises one rather than the function itself."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.exercise.id,
            "derivation": self.derivation.to_dict(),
            "variants": {label: d.to_dict() for label, d in self.variants},
            "descent": None if self.descent is None else self.descent.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Workbook:
    """A whole exercise file, solved, in file order."""

    spec: Spec
    solutions: tuple[Solution, ...]
