"""`derive export prairielearn`: one PrairieLearn question folder per exercise.

    DIR/EXERCISE-ID/info.json      uuid (uuid5 of the exercise's id: stable), type v3, ...
    DIR/EXERCISE-ID/question.html  the statement and circuit of the variant, a
                                   pl-number-input per blank, the worked solution
    DIR/EXERCISE-ID/server.py      the N precomputed variants as JSON; generate() picks one
                                   by data["variant_seed"], grade() marks with carry-forward

server.py is self-contained (PrairieLearn's Python has no derive): it carries the float
circuit model and the carry-forward marker of derive/model.py and derive/marking.py,
copied in source form when the folder is written (their derive imports removed), so the
server marks exactly as `derive grade` and the page's self-check do; the tests run both
on the same answers. Copy the folders into your course's questions/ folder.
"""

from __future__ import annotations

import ast
import html
import inspect
import json
import uuid
from pathlib import Path
from typing import Any

from derive.assign.moodle import question_blanks, solution_html, statement_html, variants_for
from derive.assign.variants import Variant
from derive.spec import Spec

NAMESPACE = uuid.UUID("6f1c2b1e-7d3a-5b8e-9c41-0d2e5a7b3c10")
"""uuid5 namespace of derive's questions: a question's uuid is uuid5(NAMESPACE, its id)."""

PANEL = """<pl-question-panel>
{{{params.statement}}}
<div class="derive-circuit">{{{params.circuit}}}</div>
<p>Wires carry the numbers of the blanks: values above, gradients below.</p>
</pl-question-panel>
"""
ANSWER = """<pl-answer-panel>
{{{params.solution}}}
</pl-answer-panel>
"""

SERVER = '''

# --- the question: precomputed variants, generate() and grade() -----------------------

VARIANTS = json.loads(VARIANTS_JSON)


def _pick(data):
    return VARIANTS[int(data.get("variant_seed", 0)) % len(VARIANTS)]


def generate(data):
    """PrairieLearn: choose the variant of this variant_seed; its numbers, its pages."""
    v = _pick(data)
    data["params"]["variant"] = v["index"]
    for key in ("statement", "circuit", "solution"):
        data["params"][key] = v[key]
    for blank in v["blanks"]:
        data["correct_answers"][blank["name"]] = blank["value"]


def _answer(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def grade(data):
    """PrairieLearn: mark every blank right, wrong, carried or blank (carry-forward: an
    answer right from the student's own earlier wrong answers earns its credit)."""
    v = VARIANTS[int(data["params"]["variant"])]
    true = Passes(v["passes"]["values"],
                  {tuple(k.split("->")): w for k, w in v["passes"]["wires"].items()},
                  v["passes"]["totals"])
    answers = {b["quantity"]: _answer(data["submitted_answers"].get(b["name"]))
               for b in v["blanks"]}
    marks = {m.quantity: m for m in mark_model(v["model"], true, answers, v["digits"],
                                               v["steps"])}
    total = 0.0
    for blank in v["blanks"]:
        m = marks[blank["quantity"]]
        score = 1.0 if m.verdict in ("right", "carried") else 0.0
        data["partial_scores"][blank["name"]] = {"score": score, "weight": 1,
                                                 "feedback": m.feedback}
        total += score
    data["score"] = total / len(v["blanks"]) if v["blanks"] else 1.0
'''


def question_id(exercise_id: str) -> str:
    """The stable uuid of an exercise's question."""
    return str(uuid.uuid5(NAMESPACE, exercise_id))


def info(v: Variant, spec: Spec, varies: bool) -> dict[str, Any]:
    ex = v.exercise
    return {"uuid": question_id(ex.id), "type": "v3", "title": ex.title, "topic": spec.title,
            "tags": ["derive", "backpropagation", ex.id], "singleVariant": not varies,
            "partialCredit": True}  # fmt: skip


def question_html(v: Variant) -> str:
    """The question template: the variant's statement and circuit come from params."""
    rtol = repr(10.0 ** (1 - min(v.exercise.digits, 15)))
    inputs = "\n".join(
        f'<pl-number-input answers-name="b{b.number}" comparison="relabs" rtol="{rtol}" '
        f'atol="1e-12" label="[{b.number}] {html.escape(b.label, quote=True)}">'
        "</pl-number-input>"
        for b in question_blanks(v))  # fmt: skip
    return f"{PANEL}\n{inputs}\n\n{ANSWER}"


def variant_data(v: Variant, index: int) -> dict[str, Any]:
    """Everything server.py needs about one variant, as JSON-able data."""
    from derive.assign.figure import circuit_dot, svg
    from derive.marking import _steps
    from derive.model import exact_passes, model

    s = v.solution
    items = question_blanks(v)
    true = exact_passes(s.derivation)
    numbers = {b.quantity: b.number for b in items}
    return {
        "index": index, "digits": v.exercise.digits,
        "statement": statement_html(v),
        "circuit": svg(circuit_dot(s.derivation, numbers, min(v.exercise.digits, 4))),
        "solution": solution_html(v),
        "blanks": [{"name": f"b{b.number}", "quantity": b.quantity, "value": float(b.value),
                    "label": b.label} for b in items],
        "model": model(s.derivation, v.exercise.digits),
        "passes": {"values": true.values, "totals": true.totals,
                   "wires": {f"{a}->{b}": w for (a, b), w in true.wires.items()}},
        "steps": _steps(s.descent),
    }  # fmt: skip


def marker_source() -> str:
    """derive/model.py and derive/marking.py as one self-contained piece of Python: their
    imports of derive and of __future__ removed, DeriveError defined here."""
    from derive import marking, model

    pieces = ["class DeriveError(ValueError):\n    pass\n"]
    for module in (model, marking):
        source = inspect.getsource(module)
        drop: set[int] = set()
        for node in ast.parse(source).body:
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in (
                    "derive", "__future__"):  # fmt: skip
                drop.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        lines = source.splitlines()
        pieces.append("\n".join(line for i, line in enumerate(lines, 1) if i not in drop))
    return "\n\n".join(pieces)


def server_py(variants: list[dict[str, Any]]) -> str:
    payload = json.dumps(variants, sort_keys=True, separators=(",", ":"))
    return "\n".join([
        '"""PrairieLearn question server written by derive (derive export prairielearn).',
        "",
        "Self-contained: the variants are precomputed below, and the marking is a copy of",
        'derive/model.py and derive/marking.py. Regenerate it rather than editing it."""',
        "",
        "from __future__ import annotations",
        "",
        "import json",
        "import math",
        "",
        f"VARIANTS_JSON = {payload!r}",
        "",
        marker_source(),
        SERVER,
    ])  # fmt: skip


def export(spec: Spec, count: int, seed: int, out: Path) -> list[Path]:
    """Write one question folder per exercise into `out` (replaced atomically)."""
    from derive.assign.files import replacing_folder

    folders = []
    with replacing_folder(out) as tmp:
        for exercise_id, variants in variants_for(spec, count, seed):
            folder = tmp / exercise_id
            folder.mkdir()
            first = variants[0]
            varies = bool(first.exercise.vary)
            (folder / "info.json").write_text(
                json.dumps(info(first, spec, varies), indent=2) + "\n", encoding="utf-8")
            (folder / "question.html").write_text(question_html(first), encoding="utf-8")
            data = [variant_data(v, i) for i, v in enumerate(variants)]
            (folder / "server.py").write_text(server_py(data), encoding="utf-8")
            folders.append(out / exercise_id)
    return folders

