"""The exercise file's schema: what each key holds, checked with exact positions."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import sympy
import yaml

import derive.spec.prose as checker  # a module reference: tests switch the checker off
from derive.errors import SpecError, SpecErrors
from derive.language import parse_expression, parse_function
from derive.spec.compose import compose, read_text
from derive.spec.memo import Remembered, keep, remembered
from derive.spec.points import read_limits, read_vary
from derive.spec.reader import Reader
from derive.spec.records import DescentSpec, Exercise, Place, Question, Spec

MAX_FILE_BYTES = 5_000_000
ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
MAX_ID = 80
RESERVED_IDS = ("index", "genindex", "search", "searchindex", "py-modindex", "modindex")
"""Names of pages (and their files) Sphinx or derive generates beside the exercises."""
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,5})\Z")
"""Whole numbers as written in decimal; not YAML 1.1's 0x10, 0b11, 017 (octal) or 1:30."""
_BOOLS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
_LABEL = re.compile(r"[^<>\[\]{}`$\\|!&*_#~\"]+\Z")
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
TOPICS = ("domain", "limits", "stationary", "ranking", "stability", "saturation", "descent",
          "activations", "recompute")
"""What a question can be about; its answer is assembled from the facts of these kinds."""
_TOPIC_WORDS = {
    "limits": ("approach", "limit", "large", "infinit", "tend", "grow"),
    "ranking": ("greatest", "largest", "most", "effect", "sensitiv", "influen", "rank"),
    "stability": ("stabil", "numerical", "overflow", "underflow", "explod", "vanish"),
    "domain": ("undefined", "domain"),
    "stationary": ("stationary", "minimum", "maximum", "critical"),
    "saturation": ("saturat",),
    "descent": ("update", "descent", "learning rate", "training", "converge"),
    "activations": ("activation",),
    "recompute": ("recompute",),
}
FILE_KEYS = {"title": "text", "description": "text", "defaults": "map", "exercises": "list",
             "trusted": "bool"}  # fmt: skip
DEFAULT_KEYS = {"learning_rate": "scalar", "steps": "int", "digits": "int", "solution": "text"}
EXERCISE_KEYS = {
    "id": "text", "title": "text", "function": "text", "where": "map", "at": "map",
    "descent": "map", "limits": "list", "questions": "list", "variants": "map",
    "solution": "text", "statement": "text", "instructions": "list", "notes": "text",
    "digits": "int", "circuit": "text", "given": "list", "vary": "map", "clean": "bool",
}  # fmt: skip
DESCENT_KEYS = {"parameters": "list", "learning_rate": "scalar", "steps": "int",
                "ascent": "bool", "objective": "text"}  # fmt: skip


def read_spec(path: str | Path) -> Spec:
    """Read and validate an exercise file; raises SpecErrors listing every problem."""
    spec, errors = read_valid_part(path)
    if errors:
        raise SpecErrors(errors)
    assert spec is not None
    return spec


def read_valid_part(path: str | Path) -> tuple[Spec | None, list[SpecError]]:
    """The file's valid exercises and every problem found (a site can still show the valid
    exercises while the warnings point at the others). The spec is None when the file
    cannot be read as YAML at all."""
    try:
        text = read_text(Path(path), MAX_FILE_BYTES)
    except SpecError as exc:
        return None, [exc]
    return _parse(text, str(path), remember=True)


def parse_spec(text: str, path: str = "<string>") -> Spec:
    """Validate the text of an exercise file; `path` names it in messages."""
    spec, errors = _parse(text, path)
    if errors:
        raise SpecErrors(errors)
    assert spec is not None
    return spec


def _parse(text: str, path: str, remember: bool = False) -> tuple[Spec | None, list[SpecError]]:
    """`remember`: reuse the unchanged exercises of the last file read (derive.spec.memo);
    for files read by path, as a rebuild reads them, not for text handed to parse_spec."""
    try:
        root = compose(text, path)
    except SpecError as exc:
        return None, [exc]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [SpecError(path, line, column, f"invalid YAML: {exc.problem or exc}")]
    except yaml.YAMLError as exc:
        return None, [SpecError(path, 1, 1, f"invalid YAML: {exc}")]
    if root is None or (isinstance(root, yaml.ScalarNode) and root.tag.endswith(":null")):
        return None, [SpecError(path, 1, 1, "the file is empty; it needs a list of exercises")]
    reader = Reader(path, text)
    try:
        spec = _file(reader, root, remember)
    except SpecError as exc:  # too many values: nothing of the file is usable
        return None, [exc]
    return spec, sorted(reader.errors, key=lambda e: (e.line, e.column))


def _file(r: Reader, root: yaml.Node, remember: bool = False) -> Spec | None:
    top = r.mapping(root, "the file", FILE_KEYS, required=("exercises",))
    if top is None:
        return None
    trusted = None
    if "trusted" in top and _bool(r, top["trusted"], "trusted"):
        r.trusted, trusted = True, r.place(top["trusted"])
    defaults = _defaults(r, top.get("defaults"))
    exercises: list[Exercise] = []
    first: dict[str, int] = {}
    items = top.get("exercises")
    read: Remembered = {}
    # What else decides how an exercise reads: the defaults, the prose checker, and the
    # text before the document (its %TAG directives say what a tag such as !!str means)
    same = (checker.problems, checker.text_problem, tuple(sorted(defaults.items())),
            r.text[: root.start_mark.index])  # fmt: skip
    if isinstance(items, yaml.SequenceNode):
        if not items.value:
            r.fail(items, "the list of exercises is empty")
        for item in items.value:
            if remember:
                exercise = remembered(r, item, same, read, lambda n: _exercise(r, n, defaults))
            else:
                exercise = _exercise(r, item, defaults)
            # Ids are compared as written, so a duplicate is reported even when either
            # exercise has another problem.
            id_node = _id_node(item)
            duplicate = id_node is not None and str(id_node.value) in first
            if id_node is not None and duplicate:
                line = first[str(id_node.value)]
                r.fail(id_node, f"duplicate id {id_node.value!r} (first on line {line})")
            elif id_node is not None:
                first[str(id_node.value)] = id_node.start_mark.line + 1
            if exercise is not None and not duplicate:
                exercises.append(exercise)
    title = _prose(r, top["title"], "title", "plain") if "title" in top else "Exercises"
    description = _prose(r, top["description"], "description") if "description" in top else ""
    if remember:
        keep(read)
    return Spec(r.path, title, description, tuple(exercises), trusted)


def _id_node(item: yaml.Node) -> yaml.ScalarNode | None:
    if not isinstance(item, yaml.MappingNode):
        return None
    for key, value in item.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(
                value, yaml.ScalarNode):  # fmt: skip
            return value
    return None


def _defaults(r: Reader, node: yaml.Node | None) -> dict[str, Any]:
    values: dict[str, Any] = {"learning_rate": sympy.Rational(1, 10), "steps": 1, "digits": 4,
                              "solution": "open"}  # fmt: skip
    found = r.mapping(node, "defaults", DEFAULT_KEYS) if node is not None else {}
    for key, value in (found or {}).items():
        setting = _setting(r, key, value)
        if setting is not None:
            values[key] = setting
    return values


def _setting(r: Reader, key: str, node: yaml.Node) -> Any:
    """learning_rate, steps, digits or solution, range-checked."""
    if key == "learning_rate":
        rate = r.number(node, "learning_rate")
        if rate is not None and not rate.is_positive:
            r.fail(node, "learning_rate must be positive")
            return None
        return rate
    if key in ("steps", "digits"):
        low, high = (1, 100) if key == "steps" else (1, 30)
        if not _INT.match(str(node.value)):
            r.fail(node, f"{key} must be a whole number from {low} to {high} written in "
                         f"decimal digits, not {_shown(node.value)}")  # fmt: skip
            return None
        value = int(node.value)
        if not low <= value <= high:
            r.fail(node, f"{key} must be between {low} and {high}, not {value}")
            return None
        return value
    if node.value not in ("open", "collapsed"):
        r.fail(node, f"solution must be 'open' or 'collapsed', not {node.value!r}")
        return None
    return node.value


def _exercise(r: Reader, node: yaml.Node, defaults: dict[str, Any]) -> Exercise | None:
    errors = len(r.errors)
    found = r.mapping(node, "an exercise", EXERCISE_KEYS,
                      required=("id", "title", "function", "at"))  # fmt: skip
    if found is None:
        return None
    places = {"": r.place(node), **{key: r.place(value) for key, value in found.items()}}
    fields: dict[str, Any] = {k: defaults[k] for k in ("digits", "solution")}
    fields["trusted"] = r.trusted
    for key, value in found.items():
        if key in ("title", "statement", "notes"):
            fields[key] = _prose(r, value, key, "plain" if key == "title" else "block")
        elif key in ("digits", "solution"):
            fields[key] = _setting(r, key, value)
        elif key == "circuit":
            fields["circuit"] = _circuit(r, value)
        elif key == "id":
            fields["id"] = _identifier(r, value)
        elif key == "function":
            fields["function"] = r.expression(value, parse_function)
        elif key == "given":
            fields["given"] = tuple(text for text, _ in r.texts(value, "a given input"))
        elif key == "instructions":
            fields["instructions"] = tuple(_prose(r, item, "an instruction", "inline")
                                           for _, item in r.texts(value, "an instruction"))
        elif key == "questions":
            fields["questions"] = _questions(r, value)
        elif key == "limits":
            fields["limits"] = read_limits(r, value)
        elif key == "descent":
            fields["descent"] = _descent(r, value, defaults, places)
        elif key == "vary":
            fields["vary"] = read_vary(r, value, places)
        elif key == "clean":
            fields["clean"] = yaml.SafeLoader.bool_values[value.value.lower()]
        else:  # where, variants, at: mappings of names
            fields[key] = _named(r, key, value, places)
    for key_node, _ in found["vary"].value if fields.get("vary") else ():
        if key_node.value not in fields.get("at", {}):
            r.fail(key_node, f"vary: {key_node.value!r} is not an input given in 'at'")
    if len(r.errors) > errors:
        return None
    return Exercise(**fields, path=r.path, places=places)


def _circuit(r: Reader, node: yaml.Node) -> str | None:
    """How the circuit is drawn: "fused" gates (sigmoid as one gate) or "expanded" into
    primitives (the circuit owner's key)."""
    value = getattr(node, "value", None)
    if value not in ("fused", "expanded"):
        r.fail(node, f"circuit must be 'fused' or 'expanded', not {value!r}")
        return None
    return str(value)


def _identifier(r: Reader, node: yaml.Node) -> str | None:
    value = str(node.value)
    if not ID.match(value) or len(value) > MAX_ID:
        r.fail(node, f"id {_shown(value)} must be lowercase letters, digits and single dashes, "
                     f"at most {MAX_ID} characters (it names the page)")  # fmt: skip
        return None
    if value in RESERVED_IDS:
        r.fail(node, f"id {value!r} is the name of a page the site generates; choose another "
                     f"(reserved: {', '.join(RESERVED_IDS)})")  # fmt: skip
        return None
    return value


def _named(r: Reader, key: str, node: yaml.Node, places: dict[str, Place]) -> dict[str, Any]:
    """`at` (name -> number or list), `where` (name -> expression) or `variants`
    (label -> function)."""
    kind = "any" if key == "at" else "text"
    found = r.mapping(node, repr(key), values=kind) or {}
    values: dict[str, Any] = {}
    for name, value in found.items():
        places[f"{key}.{name}"] = r.place(value)
        if key != "variants" and not NAME.match(name):
            r.fail(value, f"{name!r} is not a valid name in {key!r}")
        elif key == "where":
            values[name] = r.expression(value, parse_expression)
        elif key == "variants":
            key_node = next(k for k, v in node.value if v is value)
            if not _LABEL.match(name) or name != " ".join(name.split()):
                r.fail(key_node, f"variant label {_shown(name)} must be plain text on one line, "
                                 "without < > [ ] { } ` $ \\ | ! & * _ # ~ \"")  # fmt: skip
            values[name] = r.expression(value, parse_function)
        elif isinstance(value, yaml.SequenceNode):
            numbers = [r.number(item, f"{name}[{i}]") for i, item in enumerate(value.value)]
            values[name] = tuple(numbers)
            if not numbers:
                r.fail(value, f"input {name!r}: an empty vector")
        else:
            values[name] = r.number(value, f"input {name!r}")
    return values


def _descent(r: Reader, node: yaml.Node, defaults: dict[str, Any],
             places: dict[str, Place]) -> DescentSpec | None:
    found = r.mapping(node, "'descent'", DESCENT_KEYS)
    if found is None:
        return None
    places.update({f"descent.{k}": r.place(v) for k, v in found.items()})
    rate = _setting(r, "learning_rate", found["learning_rate"]) if "learning_rate" in found else (
        defaults["learning_rate"])  # fmt: skip
    steps = _setting(r, "steps", found["steps"]) if "steps" in found else defaults["steps"]
    parameters = None
    if "parameters" in found:
        parameters = tuple(text for text, _ in r.texts(found["parameters"], "a parameter"))
    objective = None
    if "objective" in found:
        objective = r.expression(found["objective"], parse_expression)
    ascent = "ascent" in found and _bool(r, found["ascent"], "ascent")
    return DescentSpec(parameters, rate, steps or 1, ascent, objective)


def _questions(r: Reader, node: yaml.Node) -> tuple[Question, ...]:
    questions = []
    for item in node.value:
        if isinstance(item, yaml.MappingNode):
            found = r.mapping(item, "a question", {"ask": "text", "about": "any"},
                              required=("ask",))  # fmt: skip
            if not found or "ask" not in found:
                continue
            text = _prose(r, found["ask"], "a question", "inline")
            about = tuple(t for t, _ in r.texts(found["about"], "a topic")) if (
                "about" in found) else _topics(text)  # fmt: skip
            unknown = [t for t in about if t not in TOPICS]
            if unknown:
                r.fail(found.get("about", item), f"unknown topic {unknown[0]!r}; topics are "
                                                 + ", ".join(TOPICS))  # fmt: skip
                continue
        elif r.shape(item, "text", "a question"):
            text, about = _prose(r, item, "a question", "inline"), _topics(str(item.value))
        else:
            continue
        if not about:
            r.fail(item, "cannot tell what this question asks about; write it as "
                         "{ask: ..., about: [limits]} with topics from " + ", ".join(TOPICS))
            continue
        questions.append(Question(text, about))
    return tuple(questions)


def _topics(text: str) -> tuple[str, ...]:
    lowered = text.lower()
    return tuple(t for t, words in _TOPIC_WORDS.items() if any(w in lowered for w in words))


def _bool(r: Reader, node: yaml.Node, what: str) -> bool:
    """true/false (YAML 1.1's yes/no/on/off too); anything else is reported."""
    value = _BOOLS.get(str(node.value).lower())
    if value is None:
        r.fail(node, f"{what} must be true or false, not {_shown(node.value)}")
        return False
    return value


def _prose(r: Reader, node: yaml.Node, what: str, kind: str = "block") -> str:
    """A text of prose, checked against the safe subset (derive.spec.prose) unless the
    file is trusted; a title ("plain") is plain text and only has to be free of control
    characters and of the LaTeX commands refused outside math."""
    text = str(node.value)
    control = next((i for i, c in enumerate(text) if (c < " " and c not in "\n\t")
                    or "\x7f" <= c <= "\x9f"), None)  # fmt: skip
    if control is not None:
        line, column = r.locate(node, control)
        r.errors.append(SpecError(r.path, line, column, f"{what}: the control character "
                                                        f"U+{ord(text[control]):04X} is not "
                                                        "allowed"))  # fmt: skip
    if r.trusted:
        return text
    if kind == "plain":  # shown as text, but a question's name in a learning system too
        command = checker.text_problem(text)
        found = [] if command is None else [command]
    else:
        found = checker.problems(text, inline=kind == "inline")
    for offset, message in found:
        line, column = r.locate(node, offset)
        r.errors.append(SpecError(r.path, line, column, f"{what}: {message}"))
    return text


def _shown(value: object) -> str:
    """A value as quoted in a message: one line, at most 40 characters."""
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 40 else text[:37] + "...")
