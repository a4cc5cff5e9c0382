"""Assignments from an exercise file: per-student variants with clean numbers, an answer
key, grading with carry-forward, and exports to Moodle XML and PrairieLearn.

    variants.py      a student's point, drawn from `vary:` and accepted only when clean
    key.py           every answerable quantity of a solved exercise (f, value:, grad:, step)
    roster.py        the class list (CSV with an `id` column) and answer sheets
    pages.py         a student's exercises and solutions: MyST Markdown and PDF
    batch.py         `derive assign`: pages and key.csv for a class, over a process pool
    grading.py       `derive grade`: answers marked with derive.marking, scores
    html.py          Markdown with math -> HTML with MathJax delimiters (LMS questions)
    figure.py        a question's circuit: the blanks' numbers on the wires
    moodle.py        `derive export moodle`: Cloze questions in Moodle XML
    prairielearn.py  `derive export prairielearn`: one question folder per exercise
    files.py         files and folders written atomically
"""
