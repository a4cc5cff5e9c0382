/* derive's circuits in the browser: recompute both passes when an input changes, and mark
 * the check-yourself answers with carry-forward.
 *
 * The graph comes from the JSON derive embeds beside each circuit (never from generated
 * code). One evaluator per operation mirrors derive/model.py (itself mirroring
 * derive/ops.py), and the marking mirrors derive/marking.py, feedback words included: the
 * tests run both on the same cases. No framework, no network, deterministic.
 */
(function () {
  "use strict";

  class DomainFailure {
    constructor(reason) { this.reason = reason; }
  }
  const fail = (reason) => { throw new DomainFailure(reason); };

  function fsum(xs) {  // Neumaier's compensated sum, close to Python's math.fsum
    let sum = 0, c = 0;
    for (const x of xs) {
      const t = sum + x;
      c += Math.abs(sum) >= Math.abs(x) ? (sum - t) + x : (x - t) + sum;
      sum = t;
    }
    return sum + c;
  }
  function sigmoid(a) {
    if (a >= 0) return 1 / (1 + Math.exp(-a));
    const e = Math.exp(a);
    return e / (1 + e);
  }
  function pow(a, b) {
    if (a === 0 && b < 0) fail("zero raised to a negative power (division by zero)");
    if (a < 0 && !Number.isInteger(b)) fail("a real power of a negative base is not a real number");
    return Math.pow(a, b);
  }
  function dot(...x) {
    const h = x.length / 2;
    return fsum(x.slice(0, h).map((u, i) => u * x[h + i]));
  }

  const VALUES = {
    add: (a, b) => a + b, sub: (a, b) => a - b, neg: (a) => -a, mul: (a, b) => a * b,
    div: (a, b) => (b === 0 ? fail("division by zero") : a / b), pow,
    exp: Math.exp,
    log: (a) => (a === 0 ? fail("log(0) is undefined")
                 : a < 0 ? fail("log of a negative number is not real") : Math.log(a)),
    sqrt: (a) => (a < 0 ? fail("square root of a negative number") : Math.sqrt(a)),
    sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh, sigmoid,
    relu: (a) => (a > 0 ? a : 0), abs: Math.abs, dot,
  };
  const PARTIALS = {
    add: () => [1, 1], sub: () => [1, -1], neg: () => [-1], mul: (x) => [x[1], x[0]],
    div: (x) => [1 / x[1], -x[0] / (x[1] * x[1])],
    pow: ([a, b]) => [b === 0 ? 0 : b * pow(a, b - 1), a > 0 ? pow(a, b) * Math.log(a) : NaN],
    exp: (x) => [Math.exp(x[0])], log: (x) => [1 / x[0]],
    sqrt: (x) => [1 / (2 * Math.sqrt(x[0]))], sin: (x) => [Math.cos(x[0])],
    cos: (x) => [-Math.sin(x[0])], tan: (x) => [1 + Math.tan(x[0]) ** 2],
    tanh: (x) => [1 - Math.tanh(x[0]) ** 2],
    sigmoid: (x) => [sigmoid(x[0]) * (1 - sigmoid(x[0]))],
    relu: (x) => [x[0] > 0 ? 1 : 0], abs: (x) => [x[0] === 0 ? 0 : Math.sign(x[0])],
    dot: (x) => [...x.slice(x.length / 2), ...x.slice(0, x.length / 2)],
  };

  /* The op's value, or the reason (a string) it is undefined there. */
  function apply(op, args) {
    let result;
    try { result = VALUES[op](...args); } catch (e) {
      if (e instanceof DomainFailure) return e.reason;
      throw e;
    }
    return Number.isFinite(result) ? result : "the value is not a finite real number";
  }

  function localPartials(op, args, needed) {
    if (op === "sqrt" && args[0] === 0) return "sqrt is not differentiable at 0";
    if (op === "pow") {
      const [base, exponent] = args;
      if (needed[0] && base === 0 && !Number.isInteger(exponent) && exponent < 1)
        return "the derivative of a^n at a = 0 is undefined for n < 1";
      if (needed.length > 1 && needed[1] && base <= 0)
        return "the derivative with respect to the exponent needs log(base), and base <= 0";
    }
    let partials;
    try { partials = PARTIALS[op](args); } catch (e) {
      if (e instanceof DomainFailure) return "the derivative is not a finite real number";
      throw e;
    }
    if (partials.some((p, i) => needed[i] && !Number.isFinite(p)))
      return "the derivative is not a finite real number";
    return partials;
  }

  function local(op, args, positions) {
    let partials = localPartials(op, args, args.map(() => true));
    if (typeof partials === "string") {
      partials = localPartials(op, args, args.map((_, i) => positions.includes(i)));
      if (typeof partials === "string") return null;
    }
    return fsum(positions.map((i) => partials[i]));
  }

  function consumers(model) {
    const out = {};
    for (const n of model.nodes) out[n.id] = [];
    for (const n of model.nodes)
      for (const s of new Set(n.inputs || [])) out[s].push(n.id);
    return out;
  }

  function constants(model) {  // nodes depending on no input carry no gradient
    const out = new Set();
    for (const n of model.nodes)
      if (n.op === "const" || (n.op !== "input" && (n.inputs || []).every((i) => out.has(i)))) out.add(n.id);
    return out;
  }

  /* Both passes on floats at `at`: {values, wires ("SRC->DST" -> number), totals}, or
   * {failure: {node, reason}} naming the first node undefined there. */
  function run(model, at) {
    const values = {};
    for (const n of model.nodes) {
      if (n.op === "input") values[n.id] = Number(at[n.id]);
      else if (n.op === "const") values[n.id] = n.value;
      else {
        const result = apply(n.op, n.inputs.map((i) => values[i]));
        if (typeof result === "string") return { failure: { node: n.id, reason: result }, values };
        values[n.id] = result;
      }
    }
    const wires = {}, totals = {}, readers = consumers(model), fixed = constants(model);
    for (const n of [...model.nodes].reverse()) {
      if (fixed.has(n.id)) continue;
      totals[n.id] = n.id === model.output ? 1 : fsum(readers[n.id].map((c) => wires[`${n.id}->${c}`]));
      if (n.op === "input") continue;
      const args = n.inputs.map((i) => values[i]);
      const partials = localPartials(n.op, args, n.inputs.map((i) => !fixed.has(i)));
      if (typeof partials === "string") return { failure: { node: n.id, reason: partials }, values };
      n.inputs.forEach((source, position) => {
        if (fixed.has(source)) return;
        const key = `${source}->${n.id}`;
        wires[key] = (wires[key] || 0) + totals[n.id] * partials[position];
      });
    }
    return { values, wires, totals };
  }

  /* `x` to `digits` significant digits as derive prints it (mpmath's nstr, min_fixed=-4,
   * max_fixed=digits+2): 0.7311, -12, 1.234e-4, 1.0e+6. */
  function format(x, digits) {
    if (!Number.isFinite(x)) return "\u2014";
    if (x === 0) return "0";
    const sign = x < 0 ? "-" : "", a = Math.abs(x);
    const [mantissa, power] = a.toExponential(digits - 1).split("e");
    const e = parseInt(power, 10);
    if (-4 < e && e < digits + 2) {
      const r = Number(a.toPrecision(digits));
      if (e >= digits - 1) return sign + String(Math.round(r));
      let text = r.toFixed(digits - 1 - e);
      if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
      return sign + text;
    }
    let m = mantissa.includes(".") ? mantissa.replace(/0+$/, "") : mantissa + ".";
    if (m.endsWith(".")) m += "0";
    return `${sign}${m}e${e < 0 ? "-" : "+"}${Math.abs(e)}`;
  }

  /* ---- marking: mirrors derive/marking.py ---- */

  const OUTPUT_FORMS = { sigmoid: (y) => y * (1 - y), tanh: (y) => 1 - y * y, exp: (y) => y };
  const tolerance = (expected, digits) =>
    Math.max(Math.abs(expected) * 10 ** (1 - Math.min(digits, 15)), 1e-12);
  const close = (answer, expected, digits) =>
    answer !== null && answer !== undefined && expected !== null && expected !== undefined &&
    Number.isFinite(expected) && Math.abs(answer - expected) <= tolerance(expected, digits);

  function describe(q) {
    if (q === "f") return "the output's value";
    const [kind, rest] = [q.slice(0, q.indexOf(":")), q.slice(q.indexOf(":") + 1)];
    if (kind === "value") return `the value of ${rest}`;
    if (kind === "grad" && rest.includes("->")) {
      const [s, t] = rest.split("->");
      return `the gradient on wire ${s} -> ${t}`;
    }
    if (kind === "grad") return `the total gradient of ${rest}`;
    return `${rest} after step ${kind.replace(/^step/, "")}`;
  }

  function order(model) {
    const readers = consumers(model), fixed = constants(model);
    const out = model.nodes.filter((n) => n.op !== "const").map((n) => `value:${n.id}`);
    for (const n of [...model.nodes].reverse()) {
      if (fixed.has(n.id)) continue;
      if (readers[n.id].length) out.push(`grad:${n.id}`);
      for (const s of new Set(n.inputs || [])) if (!fixed.has(s)) out.push(`grad:${s}->${n.id}`);
    }
    return out;
  }

  function feedback(q, verdict, mistake, first) {
    if (verdict === "right") return "right";
    if (verdict === "blank") return "no answer";
    const where = first === null ? "" : `the first wrong step is ${describe(first)}`;
    if (verdict === "carried") return `carried forward: right from your own earlier answers; ${where}`;
    const head = q === first ? "wrong, and the first wrong step" : `wrong; ${where}`;
    return mistake ? `${head}: ${mistake}` : head;
  }

  /* Marks: [{quantity, answer, expected, verdict, feedback}], in the order of computation. */
  function mark(model, truth, answers, digits) {
    const nodes = {}, readers = consumers(model), output = model.output;
    for (const n of model.nodes) nodes[n.id] = n;
    const given = (q) => {
      let v = answers[q];
      if (q.startsWith("value:") && (v === null || v === undefined) && q === `value:${output}`) v = answers.f;
      return v !== null && v !== undefined && Number.isFinite(v) ? v : null;
    };
    const expected = (q) => {
      if (q === "f") return truth.values[output];
      const kind = q.slice(0, q.indexOf(":")), rest = q.slice(q.indexOf(":") + 1);
      if (kind === "value") return truth.values[rest];
      if (rest.includes("->")) return truth.wires[rest];
      return truth.totals[rest];
    };
    const value = (n) => (given(`value:${n}`) ?? truth.values[n]);
    const valueOff = (n) => { const g = given(`value:${n}`); return g !== null && !close(g, truth.values[n], digits); };
    const wire = (s, t) => (given(`grad:${s}->${t}`) ?? truth.wires[`${s}->${t}`]);
    const total = (n) => {
      if (n === output) return 1;
      const g = given(`grad:${n}`);
      return g !== null ? g : fsum(readers[n].map((c) => wire(n, c)));
    };
    const locals = (s, t, mine) => {
      const n = nodes[t], pick = mine ? value : (i) => truth.values[i];
      const positions = n.inputs.map((x, i) => (x === s ? i : -1)).filter((i) => i >= 0);
      const found = local(n.op, n.inputs.map(pick), positions);
      const out = found === null ? [] : [found];
      if (OUTPUT_FORMS[n.op]) out.push(OUTPUT_FORMS[n.op](pick(t)));
      return out;
    };
    const SIGN = "the sign is lost (a subtraction or negation on the way)";
    const fanMistake = (t, answer, slopes) => {
      const rs = readers[t];
      if (rs.length < 2) return null;
      for (const r of rs)
        for (const part of [wire(t, r), truth.wires[`${t}->${r}`]])
          if (slopes.some((s) => close(answer, part * s, digits)))
            return `the fan-out contributions are not added: the gradient of ${t} is the sum over its ${rs.length} wires, and only ${t} -> ${r} was used`;
      return null;
    };
    const judgeValue = (id, answer) => {
      const n = nodes[id];
      if (n.op === "input") return ["wrong", `${id} is an input: its value is given`];
      const args = n.inputs.map(value), mine = apply(n.op, args);
      if (typeof mine !== "string" && close(answer, mine, digits))
        return [n.inputs.some(valueOff) ? "carried" : "right", ""];
      if (n.op === "sub" && close(answer, args[0] + args[1], digits)) return ["wrong", `the sign of the subtraction in ${id} is lost`];
      if (n.op === "neg" && close(answer, args[0], digits)) return ["wrong", `the sign of the negation in ${id} is lost`];
      return ["wrong", ""];
    };
    const judgeWire = (s, t, answer) => {
      const n = nodes[t], upstream = total(t), trueUp = truth.totals[t];
      const off = !close(upstream, trueUp, digits) || [...n.inputs, t].some(valueOff);
      for (const slope of locals(s, t, true))
        if (close(answer, upstream * slope, digits)) return [off ? "carried" : "right", ""];
      const slopes = [...locals(s, t, true), ...locals(s, t, false)], ups = [upstream, trueUp];
      const fan = fanMistake(t, answer, slopes);
      if (fan) return ["wrong", fan];
      if (n.op === "sigmoid") {
        const sig = [value(t), truth.values[t]];
        if (ups.some((u) => sig.some((v) => close(answer, u * v, digits))))
          return ["wrong", "sigma(z) was used as the local derivative instead of sigma(z)(1 - sigma(z))"];
      }
      if (ups.some((u) => slopes.some((v) => close(-answer, u * v, digits)))) {
        const what = { sub: "subtraction", neg: "negation" }[n.op];
        return ["wrong", what ? `the sign of the ${what} in ${t} is lost` : SIGN];
      }
      if (!close(trueUp, 1, digits) && slopes.some((v) => close(answer, v, digits)))
        return ["wrong", `the upstream gradient (the gradient of ${t}) is dropped: this is the local derivative alone`];
      return ["wrong", ""];
    };
    const judgeTotal = (id, answer) => {
      const rs = readers[id], mine = fsum(rs.map((c) => wire(id, c)));
      if (close(answer, mine, digits))
        return [rs.some((c) => !close(wire(id, c), truth.wires[`${id}->${c}`], digits)) ? "carried" : "right", ""];
      if (rs.length > 1)
        for (const r of rs)
          for (const part of [wire(id, r), truth.wires[`${id}->${r}`]])
            if (close(answer, part, digits))
              return ["wrong", `the fan-out contributions are not added: ${id} feeds ${rs.length} wires and its gradient is their sum, not the ${id} -> ${r} wire alone`];
      if (close(-answer, truth.totals[id], digits)) return ["wrong", SIGN];
      return ["wrong", ""];
    };
    const judge = (q) => {
      const answer = given(q);
      if (answer === null) return ["blank", ""];
      if (close(answer, expected(q), digits)) return ["right", ""];
      const kind = q.slice(0, q.indexOf(":")), rest = q.slice(q.indexOf(":") + 1);
      if (q === "f" || kind === "value") return judgeValue(q === "f" ? output : rest, answer);
      if (rest.includes("->")) return judgeWire(...rest.split("->"), answer);
      return judgeTotal(rest, answer);
    };
    const known = order(model), names = [];
    for (const q of Object.keys(answers))
      if (q !== "f" && !known.includes(q)) throw new Error(`unknown quantity '${q}' in the answers`);
    for (const q of known) {
      if (q === `value:${output}` && "f" in answers) names.push("f");
      if (q in answers) names.push(q);
    }
    const results = names.map(judge);
    const firstIndex = results.findIndex(([v]) => v === "wrong");
    const first = firstIndex < 0 ? null : names[firstIndex];
    return names.map((q, i) => ({
      quantity: q, answer: given(q), expected: expected(q), verdict: results[i][0],
      feedback: feedback(q, results[i][0], results[i][1], first),
    }));
  }

  /* ---- the page ---- */

  function parseNumber(text) {
    const t = String(text).trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
    if (t === "" || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return null;
    return Number(t);
  }

  function setNumber(el, x, digits) {
    if (!el) return;
    el.setAttribute("data-number", Number.isFinite(x) ? String(x) : "nan");
    el.textContent = format(x, digits);
  }

  function setup(root) {
    const script = root.querySelector("script.derive-circuit-model");
    if (!script || root.dataset.deriveReady) return;
    root.dataset.deriveReady = "1";
    const model = JSON.parse(script.textContent);
    const digits = model.digits, status = root.querySelector(".derive-circuit-status");
    const fields = [...root.querySelectorAll("input[data-derive-input]")];
    const svg = root.querySelector("svg");
    const answers = root.querySelector(".derive-answers");
    const selfcheck = root.querySelector("[data-derive-selfcheck]");
    const checkButton = root.querySelector("[data-derive-check]");
    const scroll = root.querySelector(".derive-circuit-scroll");
    root.querySelector(".derive-circuit-controls").hidden = false;
    let current = run(model, model.at);  // the exercise's point, as drawn
    if (current.failure) current = null;

    const say = (text, kind) => {
      status.textContent = text;
      status.className = "derive-circuit-status" + (kind ? ` derive-${kind}` : "");
    };

    function recompute() {
      const at = {};
      for (const f of fields) {
        const x = parseNumber(f.value);
        if (x === null) { say(`Type a number for ${f.dataset.deriveInput}.`, "error"); return; }
        at[f.dataset.deriveInput] = x;
      }
      const result = run(model, at);
      for (const g of svg.querySelectorAll(".derive-undefined")) g.classList.remove("derive-undefined");
      const values = result.values, wires = result.wires || {}, totals = result.totals || {};
      for (const g of svg.querySelectorAll("g[data-edge]")) {
        const [s, t] = g.dataset.edge.split("->");
        setNumber(g.querySelector(".value"), s in values ? values[s] : NaN, digits);
        if (g.querySelector(".grad")) setNumber(g.querySelector(".grad"), wires[`${s}->${t}`] ?? NaN, digits);
      }
      const out = svg.querySelector("[data-derive-output]");
      setNumber(out, model.output in values ? values[model.output] : NaN, digits);
      setNumber(out && out.parentNode.querySelector(".grad"), result.failure ? NaN : 1, digits);
      for (const t of svg.querySelectorAll("[data-derive-total]"))
        setNumber(t, totals[t.dataset.deriveTotal] ?? NaN, digits);
      for (const t of svg.querySelectorAll("[data-derive-given]")) {  // data: its value
        setNumber(t, values[t.dataset.deriveGiven], digits);
        t.textContent = "= " + t.textContent;
      }
      current = result.failure ? null : result;
      if (result.failure) {
        const { node, reason } = result.failure;
        const source = model.sources[node];
        const g = svg.querySelector(`g[data-node="${CSS.escape(node)}"]`);
        if (g) g.classList.add("derive-undefined");
        say(`Outside the domain: node ${node}${source && source !== node ? ` = ${source}` : ""}: ${reason}.`, "error");
      } else {
        say("", "");
      }
    }

    function check() {
      if (!current) { say("Move the inputs back into the domain to check your answers.", "error"); return; }
      const given = {};
      for (const box of answers.querySelectorAll("input[data-derive-answer]"))
        given[box.dataset.deriveAnswer] = box.value.trim() === "" ? null : parseNumber(box.value);
      const marks = mark(model, current, given, model.marking);
      const byQuantity = Object.fromEntries(marks.map((m) => [m.quantity, m]));
      for (const box of answers.querySelectorAll("input[data-derive-answer]")) {
        const m = byQuantity[box.dataset.deriveAnswer], holder = box.parentNode;
        if (m && m.verdict !== "blank") { holder.dataset.verdict = m.verdict; holder.title = m.feedback; }
        else { delete holder.dataset.verdict; holder.removeAttribute("title"); }
      }
      const count = (v) => marks.filter((m) => m.verdict === v).length;
      const lines = marks.filter((m) => m.verdict === "wrong" || m.verdict === "carried")
        .map((m) => `${describe(m.quantity)}: ${m.feedback}`);
      const summary = `${count("right")} right, ${count("wrong")} wrong, ${count("carried")} carried forward, ${count("blank")} blank.`;
      status.className = "derive-circuit-status derive-feedback";
      status.textContent = "";
      const head = document.createElement("p");
      head.textContent = summary;
      status.appendChild(head);
      if (lines.length) {
        const list = document.createElement("ul");
        for (const line of lines) { const li = document.createElement("li"); li.textContent = line; list.appendChild(li); }
        status.appendChild(list);
      }
    }

    for (const f of fields) {
      f.addEventListener("input", recompute);
      f.addEventListener("change", recompute);
    }
    root.querySelector("[data-derive-reset]").addEventListener("click", () => {
      for (const f of fields) f.value = String(model.at[f.dataset.deriveInput]);
      recompute();
    });
    selfcheck.addEventListener("click", () => {
      const on = selfcheck.getAttribute("aria-pressed") !== "true";
      selfcheck.setAttribute("aria-pressed", String(on));
      root.classList.toggle("derive-checking", on);
      answers.hidden = !on;
      checkButton.hidden = !on;
      if (!on) say("", "");
    });
    checkButton.addEventListener("click", check);
    const overflow = () => root.classList.toggle("derive-overflow", scroll.scrollWidth > scroll.clientWidth + 1);
    window.addEventListener("resize", overflow);
    overflow();
    root.deriveRecompute = recompute;
  }

  function setupLevels(group) {
    const bar = group.querySelector(".derive-level-switch");
    if (!bar) return;
    bar.hidden = false;
    for (const button of bar.querySelectorAll("[data-derive-level]")) {
      button.addEventListener("click", () => {
        const shown = [...group.querySelectorAll(":scope > .derive-circuit")].find((c) => !c.hidden);
        const target = group.querySelector(`:scope > .derive-circuit[data-level="${button.dataset.deriveLevel}"]`);
        for (const b of bar.querySelectorAll("[data-derive-level]")) b.setAttribute("aria-pressed", String(b === button));
        if (!target || target === shown) return;
        for (const f of target.querySelectorAll("input[data-derive-input]")) {  // keep the point
          const same = shown && shown.querySelector(`input[data-derive-input="${CSS.escape(f.dataset.deriveInput)}"]`);
          if (same) f.value = same.value;
        }
        if (shown) shown.hidden = true;
        target.hidden = false;
        target.deriveRecompute();
        window.dispatchEvent(new Event("resize"));
      });
    }
  }

  function start() {
    document.querySelectorAll(".derive-circuit").forEach(setup);
    document.querySelectorAll(".derive-circuits").forEach(setupLevels);
  }

  window.deriveCircuit = { run, mark, format, order, apply, local, describe, tolerance };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
