"""`derive export moodle|prairielearn`: the questions carry the key's numbers.

Must show: the Moodle XML parsed back (every Cloze blank's value and tolerance equal the
key), read with a port of Moodle's own Cloze parser (qtype_multianswer's regexes); each
PrairieLearn info.json satisfies the schema's required keys and patterns; server.py's
generate()/grade(), run as PrairieLearn runs it (exec in a fresh namespace, in an isolated
interpreter without derive), gives the key's answers and carry-forward marks, the same as
derive.marking.
"""

from __future__ import annotations

import ast
import base64
import json
import random
import re
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from derive.assign.key import blanks, number, quantities
from derive.assign.moodle import cdata, cloze_escape
from derive.assign.variants import variant
from derive.cli import main
from derive.marking import mark, tolerance
from derive.spec import read_spec

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises.yaml"
SPEC = read_spec(EXERCISES)
SEED, COUNT = 11, 3

# Moodle's qtype_multianswer regexes (question/type/multianswer/questiontype.php), ported:
# Python's lookbehind needs fixed widths, so (?<!\\|&|&amp;) is written as three.
_ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
_FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
_ALTERNATIVE = rf"(=|%(-?[0-9]+(?:[.,][0-9]*)?)%)?({_ANSWER})(#({_FEEDBACK}))?"
_TYPES = (r"(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
          r"(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)")  # fmt: skip
ANSWER_REGEX = re.compile(rf"\{{([0-9]*):({_TYPES}):({_ALTERNATIVE}(~{_ALTERNATIVE})*)\}}", re.DOTALL)
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = re.compile(rf"^({NUMBER})(:{NUMBER})?$", re.DOTALL)


def moodle_blanks(text: str) -> list[tuple[str, str, str, str]]:
    """(weight, answer, tolerance, feedback) of each NUMERICAL blank, found the way
    qtype_multianswer_extract_question finds them."""
    found = []
    while (match := ANSWER_REGEX.search(text)) is not None:
        assert match.group(3), "only NUMERICAL blanks are written"
        alternative = re.match(rf"~?{_ALTERNATIVE}", match.group(9), re.DOTALL)
        assert alternative is not None and alternative.group(1) == "="
        numbers = NUMERICAL_ALTERNATIVE.match(alternative.group(3))
        assert numbers is not None, alternative.group(3)
        feedback = (alternative.group(5) or "").replace("\\}", "}").replace("\\#", "#")
        found.append((match.group(1), numbers.group(1), numbers.group(6) or "0", feedback))
        text = text.replace(match.group(0), f"{{#{len(found)}}}", 1)
    return found


@pytest.fixture(scope="module")
def quiz(tmp_path_factory: pytest.TempPathFactory) -> ET.Element:
    out = tmp_path_factory.mktemp("moodle") / "quiz.xml"
    assert main(["export", "moodle", str(EXERCISES), "--variants", str(COUNT), "--seed",
                 str(SEED), "--out", str(out)]) == 0
    return ET.parse(out).getroot()


def test_moodle_blanks_equal_the_key(quiz: ET.Element) -> None:
    questions = quiz.findall("question")
    categories = [q for q in questions if q.get("type") == "category"]
    assert [c.findtext("category/text") for c in categories] == [
        f"$course$/top/{SPEC.title}/{e.title}" for e in SPEC.exercises]
    cloze = [q for q in questions if q.get("type") == "cloze"]
    expected_count = sum(COUNT if e.vary else 1 for e in SPEC.exercises)
    assert len(cloze) == expected_count == 2 * COUNT + len(SPEC.exercises) - 2
    by_id = {e.id: e for e in SPEC.exercises}
    checked = 0
    for q in cloze:
        exercise_id, index = q.findtext("idnumber", "").rsplit("-v", 1)
        v = variant(by_id[exercise_id], SEED, f"v{index}")
        s = v.solution
        key = blanks(quantities(s), s.derivation.graph)
        found = moodle_blanks(q.findtext("questiontext/text", ""))
        assert len(found) == len(key) > 5
        for (weight, answer, margin, feedback), item in zip(found, key, strict=True):
            assert weight == "1"
            assert answer == number(item.value)
            assert float(answer) == pytest.approx(float(item.value.approx), rel=1e-15, abs=0)
            assert float(margin) == tolerance(float(item.value.approx), v.exercise.digits)
            assert feedback and "{" not in feedback
            checked += 1
        assert q.findtext("name/text") == f"{v.exercise.title} (variant {index})"
        # the circuit travels as an embedded file that the question text shows
        file = q.find("questiontext/file")
        assert file is not None and file.get("encoding") == "base64"
        assert f'src="@@PLUGINFILE@@/{file.get("name")}"' in q.findtext("questiontext/text", "")
        drawing = base64.b64decode(file.text or "").decode("utf-8")
        assert drawing.startswith("<svg") and "[1]" in drawing
        feedback_html = q.findtext("generalfeedback/text", "")
        assert "\\(" in feedback_html and "$" not in feedback_html and "<table>" in feedback_html
    assert checked > 100


def test_moodle_point_and_math_delimiters(quiz: ET.Element) -> None:
    q = next(q for q in quiz.findall("question") if q.findtext("idnumber") == "quotient-v2")
    v = variant(next(e for e in SPEC.exercises if e.id == "quotient"), SEED, "v2")
    text = q.findtext("questiontext/text", "")
    for name, value in v.exercise.at.items():
        assert f"\\({name} = {value}\\)" in text.replace("\\left(", "").replace("\\right)", "")
    assert "$" not in text and "\\[" in text


def test_cdata_and_escaping(tmp_path: Path) -> None:
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert ET.fromstring(f"<t>{cdata('x ]]> y <b>&amp;')}</t>").text == "x ]]> y <b>&amp;"
    assert cloze_escape("a}b#c~d") == "a\\}b\\#c-d"
    spec = tmp_path / "odd.yaml"
    spec.write_text(
        'title: "Odd / <names> & ]]> here"\nexercises:\n  - id: odd\n'
        '    title: "A <b>bold</b> & \\"quoted\\" ]]> title"\n'
        "    function: f(x) = 2 * x\n    at: {x: 1}\n"
        '    statement: "Markup <script>alert(1)</script> and ]]> and $x_1 * y_2$."\n',
        encoding="utf-8")  # fmt: skip
    out = tmp_path / "quiz.xml"
    assert main(["export", "moodle", str(spec), "--seed", "1", "--out", str(out)]) == 0
    root = ET.parse(out).getroot()
    category, question = root.findall("question")
    assert category.findtext("category/text") == (
        "$course$/top/Odd // <names> & ]]> here/A <b>bold<//b> & \"quoted\" ]]> title")
    assert question.findtext("name/text") == 'A <b>bold</b> & "quoted" ]]> title (variant 1)'
    text = question.findtext("questiontext/text", "")
    assert "<script>" not in text and "&lt;script&gt;" in text  # raw HTML is not passed on
    assert "]]&gt; and \\(x_1 * y_2\\)" in text  # math kept whole, not read as emphasis
    assert category.findtext("info/text") == (  # raw in CDATA, split around the ]]>
        'Questions by derive from A <b>bold</b> & "quoted" ]]> title')
    assert "]]]]><![CDATA[>" in out.read_text(encoding="utf-8")


# --- PrairieLearn ---------------------------------------------------------------------------

# apps/prairielearn/src/schemas/schemas/infoQuestion.json (PrairieLearn/PrairieLearn):
# required keys, the uuid pattern, the type enum and the properties allowed
# (additionalProperties is false).
REQUIRED = ("uuid", "type", "title", "topic")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
TYPES = ("Calculation", "MultipleChoice", "Checkbox", "File", "MultipleTrueFalse", "v3")
PROPERTIES = {"comment": None, "uuid": str, "type": str, "title": str, "topic": str,
              "tags": list, "clientFiles": list, "clientTemplates": list, "template": str,
              "gradingMethod": str, "singleVariant": bool, "showCorrectAnswer": bool,
              "partialCredit": bool, "options": dict, "externalGradingOptions": dict,
              "dependencies": dict, "workspaceOptions": dict, "sharingSets": list,
              "sharePublicly": bool, "shareSourcePublicly": bool}  # fmt: skip


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pl") / "questions"
    assert main(["export", "prairielearn", str(EXERCISES), "--variants", str(COUNT),
                 "--seed", str(SEED), "--out", str(out)]) == 0
    return out


def test_info_json_satisfies_the_schema(course: Path) -> None:
    uuids = set()
    for exercise in SPEC.exercises:
        info = json.loads((course / exercise.id / "info.json").read_text(encoding="utf-8"))
        assert all(key in info for key in REQUIRED)
        assert set(info) <= set(PROPERTIES)
        for key, kind in PROPERTIES.items():
            if key in info and kind is not None:
                assert isinstance(info[key], kind), key
        assert UUID.match(info["uuid"]) and info["type"] in TYPES and info["type"] == "v3"
        assert all(isinstance(tag, str) for tag in info["tags"])
        assert info["uuid"] == str(uuid.uuid5(uuid.UUID("6f1c2b1e-7d3a-5b8e-9c41-0d2e5a7b3c10"),
                                              exercise.id))  # stable: from the id only
        assert info["title"] == exercise.title and info["singleVariant"] is not bool(exercise.vary)
        uuids.add(info["uuid"])
        html = (course / exercise.id / "question.html").read_text(encoding="utf-8")
        assert html.count("<pl-number-input ") == len(
            blanks(quantities(variant(exercise, SEED, "v1").solution),
                   variant(exercise, SEED, "v1").solution.derivation.graph))
    assert len(uuids) == len(SPEC.exercises)


def test_server_py_imports_nothing_of_derive(course: Path) -> None:
    for exercise in SPEC.exercises:
        tree = ast.parse((course / exercise.id / "server.py").read_text(encoding="utf-8"))
        modules = {alias.name.split(".")[0] for node in ast.walk(tree)
                   if isinstance(node, ast.Import) for alias in node.names}
        modules |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom)}  # fmt: skip
        assert modules <= {"json", "math", "collections", "dataclasses", "typing", "__future__"}


RUNNER = """
import json, sys
mod = {}
with open(sys.argv[1], encoding="utf-8") as handle:  # as PrairieLearn's zygote.py loads it
    exec(compile(handle.read(), sys.argv[1], "exec"), mod)
out = []
for case in json.loads(sys.stdin.read()):
    data = {"params": {}, "correct_answers": {}, "variant_seed": case["seed"], "options": {}}
    mod["generate"](data)
    answers = {k: v for k, v in case.get("answers", data["correct_answers"]).items()}
    graded = {"params": data["params"], "correct_answers": data["correct_answers"],
              "submitted_answers": answers, "format_errors": {}, "partial_scores": {},
              "score": 0, "feedback": {}, "variant_seed": case["seed"]}
    mod["grade"](graded)
    json.dumps(data, allow_nan=False), json.dumps(graded, allow_nan=False)
    out.append({"params": {"variant": data["params"]["variant"]},
                "correct": data["correct_answers"], "scores": graded["partial_scores"],
                "score": graded["score"]})
print(json.dumps(out))
"""


def _serve(server: Path, cases: list[dict[str, object]]) -> list[dict[str, object]]:
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(server)],
                          input=json.dumps(cases), capture_output=True, text=True, check=False,
                          cwd=server.parent)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result


def test_server_generates_the_keys_answers(course: Path) -> None:
    for exercise in SPEC.exercises:
        seeds = [0, 1, 2, 7, 123456789]
        results = _serve(course / exercise.id / "server.py", [{"seed": s} for s in seeds])
        shown = set()
        for seed, result in zip(seeds, results, strict=True):
            index = seed % COUNT if exercise.vary else 0
            assert result["params"] == {"variant": index}
            shown.add(index)
            s = variant(exercise, SEED, f"v{index + 1}").solution
            key = blanks(quantities(s), s.derivation.graph)
            assert result["correct"] == {f"b{i}": float(number(q.value))
                                         for i, q in enumerate(key, 1)}
            assert result["score"] == 1.0
        assert len(shown) == (COUNT if exercise.vary else 1)


def test_server_marks_carry_forward_like_derive_marking(course: Path) -> None:
    exercise = next(e for e in SPEC.exercises if e.id == "linear-combination")
    s = variant(exercise, SEED, "v2").solution
    key = blanks(quantities(s), s.derivation.graph)
    names = {q.name: f"b{i}" for i, q in enumerate(key, 1)}
    right = {q.name: float(number(q.value)) for q in key}
    wrong = right["grad:q->f"] + 2
    carried = {**right, "grad:q->f": wrong, "grad:x->q": wrong, "grad:y->q": wrong,
               "grad:x": wrong, "grad:y": wrong}
    rng = random.Random(5)
    sheets = [carried] + [{q: (v if rng.random() < 0.5 else v + rng.choice([1, -1, 0.5]))
                           for q, v in right.items()} for _ in range(20)]  # fmt: skip
    cases = [{"seed": 1, "answers": {names[q]: v for q, v in sheet.items()}} for sheet in sheets]
    results = _serve(course / exercise.id / "server.py", cases)
    first = results[0]["scores"]
    assert isinstance(first, dict)
    assert first[names["grad:q->f"]]["score"] == 0.0
    for q in ("grad:x->q", "grad:y->q", "grad:x", "grad:y"):
        assert first[names[q]]["score"] == 1.0
        assert first[names[q]]["feedback"].startswith("carried forward")
    assert results[0]["score"] == (len(key) - 1) / len(key)
    for sheet, result in zip(sheets, results, strict=True):  # in step with derive.marking
        marks = {m.quantity: m for m in mark(s.derivation, sheet, exercise.digits, s.descent)}
        scores = result["scores"]
        assert isinstance(scores, dict)
        for q, m in marks.items():
            assert scores[names[q]]["feedback"] == m.feedback
            assert scores[names[q]]["score"] == (1.0 if m.verdict in ("right", "carried") else 0.0)


def test_server_handles_missing_and_odd_submissions(course: Path) -> None:
    results = _serve(course / "quotient" / "server.py",
                     [{"seed": 4, "answers": {"b1": None, "b2": "abc", "b3": True}}])
    scores = results[0]["scores"]
    assert isinstance(scores, dict)
    assert {scores[b]["feedback"] for b in ("b1", "b2", "b3", "b4")} == {"no answer"}
    assert results[0]["score"] == 0.0


def test_export_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "other.txt").write_text("mine")
    assert main(["export", "prairielearn", str(EXERCISES), "--seed", "1", "--out",
                 str(folder)]) == 2
    assert "the folder is not empty and was not written by derive" in capsys.readouterr().err
    assert main(["export", "moodle", str(EXERCISES), "--seed", "1", "--variants", "0",
                 "--out", str(tmp_path / "q.xml")]) == 2
    assert "--variants: expected 1 to 1000, got 0" in capsys.readouterr().err
    assert main(["export", "moodle", str(EXERCISES), "--seed", "1", "--out", str(folder)]) == 2
    assert "is a folder; give a file name" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
