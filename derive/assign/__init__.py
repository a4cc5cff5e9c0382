"""Assignments from an exercise file: per-student variants with clean numbers, an answer
key, grading with carry-forward, and exports to Moodle XML and PrairieLearn.

    variants.py      a student's point, drawn from `vary:` and accepted only when clean
    key.py           every answerable quantity of a derivation (f, value:, grad:, step)
    roster.py        the class list (CSV with an `id` column) and answer sheets
    batch.py         `derive assign`: pages and key.csv for a class, over a process pool
    grading.py       `derive grade`: answers marked with derive.marking
    moodle.py        `derive export moodle`: cloze questions in Moodle XML
    prairielearn.py  `derive export prairielearn`: one question folder per exercise
    marker.py        a self-contained copy of the marking rules for PrairieLearn's server.py
"""
