"""Exercise files: YAML -> validated, immutable records with source positions.

No calculus happens here: expressions are only checked to parse and values to be numbers.
"""

from derive.spec.records import DescentSpec, Exercise, Limit, Place, Question, Spec, Vary
from derive.spec.schema import TOPICS, parse_spec, read_spec, read_valid_part

__all__ = ["TOPICS", "DescentSpec", "Exercise", "Limit", "Place", "Question", "Spec", "Vary",
           "parse_spec", "read_spec", "read_valid_part"]  # fmt: skip
