/* modtrace's HTML report: builds the page from the JSON in #modtrace-data.
   Everything from the trace is put on the page with textContent or
   setAttribute, never parsed as markup. No library, nothing loaded. */
(function () {
  "use strict";

  const D = JSON.parse(document.getElementById("modtrace-data").textContent);
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";

  // -- helpers ------------------------------------------------------------------------------
  function el(tag, props, children) {
    const e = document.createElement(tag);
    setProps(e, props);
    if (children) for (const c of children) if (c != null && c !== false) e.append(c);
    return e;
  }
  function sv(tag, props, children) {
    const e = document.createElementNS(SVGNS, tag);
    setProps(e, props);
    if (children) for (const c of children) if (c != null) e.append(c);
    return e;
  }
  function setProps(e, props) {
    if (!props) return;
    for (const k of Object.keys(props)) {
      const v = props[k];
      if (v == null || v === false) continue;
      if (k === "text") e.textContent = String(v);
      else if (k === "class") e.setAttribute("class", v);
      else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function plural(n, word, many) { return n + " " + (n === 1 ? word : (many || word + "s")); }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  // -- the data -----------------------------------------------------------------------------
  const MODS = D.modules;
  const BY = new Map(MODS.map((m) => [m.name, m]));
  const DISTS = D.distributions;
  const KIND_LABEL = { main: "main", first_party: "first party", third_party: "third party", stdlib: "standard library" };
  const KIND_ORDER = {};
  D.kinds.forEach((k, i) => { KIND_ORDER[k] = i; });
  const WHEN_LABEL = { run: "run time", import: "import time", only: "only imported" };
  const WHEN_TITLE = {
    run: "used at run time (outside any import)",
    import: "used only while other modules were being imported",
    only: "only imported: its body ran, nothing of it was used afterwards",
  };
  const WHEN_ORDER = { run: 0, import: 1, only: 2 };
  const WHEN_COLORS = { run: "#b7dea0", import: "#f7dc8a", only: "#e3e6eb" };
  const PLAN_COLORS = { intern: "#f3dd97", extern: "#a9d6ee", stdlib: "#d9d9d9", mock: "#f4a892", "not needed": "#f7f7f7" };
  const DECISIONS = ["intern", "extern", "stdlib", "mock", "not needed"];
  const PLAN = D.plan && D.plan.decisions ? D.plan : null;
  const TESTS = D.tests || null;

  function distLabel(i) {
    const d = DISTS[i];
    return d ? (d.version ? d.name + " " + d.version : d.name) : "";
  }
  function modDist(m) { return m.dists.length ? m.dists[0] : null; }
  function planOf(name) { return PLAN ? PLAN.decisions[name] || null : null; }

  const USES = new Map(); // module -> modules it used
  for (const m of MODS) USES.set(m.name, []);
  for (const m of MODS) for (const u of m.used_by) if (USES.has(u)) USES.get(u).push(m.name);

  const TESTS_OF = new Map(); // module -> tests that used it
  if (TESTS) {
    for (const t of Object.keys(TESTS)) for (const n of TESTS[t]) {
      if (!TESTS_OF.has(n)) TESTS_OF.set(n, []);
      TESTS_OF.get(n).push(t);
    }
  }

  // packages: every dotted prefix -> number of modules at or under it
  const PKG_COUNT = new Map();
  for (const m of MODS) {
    const parts = m.name.split(".");
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join(".");
      PKG_COUNT.set(p, (PKG_COUNT.get(p) || 0) + 1);
    }
  }
  const DIST_COUNT = DISTS.map(() => 0);
  for (const m of MODS) { const d = modDist(m); if (d != null) DIST_COUNT[d]++; }
  function parentsOf(name) {
    const parts = name.split(".");
    const out = [];
    for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join("."));
    return out;
  }
  function foldable(pkg) { return (PKG_COUNT.get(pkg) || 0) >= 2; }

  for (const e of document.querySelectorAll("[data-needs]")) {
    const need = e.getAttribute("data-needs");
    if ((need === "tests" && TESTS) || (need === "plan" && D.plan)) e.hidden = false;
  }

  // -- summary ------------------------------------------------------------------------------
  function card(n, label, title, onclick, color) {
    return el("button", { type: "button", class: "card", title: title, onclick: onclick }, [
      el("span", { class: "n", text: n }),
      el("span", { class: "l" }, [color ? el("span", { class: "sw", style: "background:" + color }) : null, label]),
    ]);
  }
  function cardGroup(title, cards) {
    return el("div", { class: "cardgroup" }, [el("div", { class: "t", text: title }), el("div", { class: "cards" }, cards)]);
  }

  function buildSummary() {
    const meta = D.meta || {};
    const bits = [];
    if (meta.python) bits.push("Python " + meta.python + (meta.implementation ? " (" + meta.implementation + ")" : ""));
    if (meta.backend) bits.push("tracer backend " + meta.backend);
    if (meta.platform) bits.push("platform " + meta.platform);
    if (meta.modtrace) bits.push("modtrace " + meta.modtrace);
    if (Array.isArray(meta.combined)) bits.push(plural(meta.combined.length, "run") + " combined");
    if (meta.filter) bits.push("filtered: " + JSON.stringify(meta.filter));
    $("run-meta").textContent = bits.join(" \u00b7 ");

    const count = (f) => MODS.filter(f).length;
    const cards = $("cards");
    const whenCards = ["run", "import", "only"].map((w) =>
      card(count((m) => m.when === w), w === "run" ? "used at run time" : w === "import" ? "used only during imports" : "only imported",
        WHEN_TITLE[w], () => showModules({ when: w }), WHEN_COLORS[w]));
    whenCards.push(card(D.loaded_unused.length, "loaded but unused", "in sys.modules at the end, never used by the program",
      () => { $("unused-details").open = true; $("unused-details").scrollIntoView({ block: "center" }); }, "#ffffff"));
    cards.append(cardGroup(plural(MODS.length, "module") + " used", whenCards));
    const kindCards = [];
    for (const k of D.kinds) {
      const n = count((m) => m.kind === k);
      if (n) kindCards.push(card(n, KIND_LABEL[k] || k, "modules of kind " + k, () => showModules({ kind: k }), D.colors[k]));
    }
    cards.append(cardGroup("by kind", kindCards));
    const third = DISTS.filter((d) => d.kinds.indexOf("third_party") >= 0);
    cards.append(cardGroup("distributions", [
      card(third.length, "third-party " + (third.length === 1 ? "distribution" : "distributions"),
        "installed distributions whose modules were used", () => $("dist-table").scrollIntoView({ block: "center" })),
    ]));
    if (TESTS) {
      const used = MODS.filter((m) => TESTS_OF.has(m.name)).length;
      cards.append(cardGroup("tests", [
        card(Object.keys(TESTS).length, "tests", "tests with per-test data", () => $("tests").scrollIntoView()),
        card(used, "modules used by tests", "modules that at least one test used", () => showModules({ test: "@any" })),
      ]));
    }
    if (PLAN) {
      const planCards = [];
      for (const d of DECISIONS) {
        const n = count((m) => planOf(m.name) === d);
        if (n) planCards.push(card(n, d, "plan: " + d, () => showModules({ plan: d }), PLAN_COLORS[d]));
      }
      cards.append(cardGroup(PLAN.computed ? "packaging plan (estimated from this trace)" : "packaging plan", planCards));
    }

    // distributions
    const tbody = $("dist-table").tBodies[0];
    const order = DISTS.map((d, i) => i).sort((a, b) => DIST_COUNT[b] - DIST_COUNT[a] || cmp(DISTS[a].name.toLowerCase(), DISTS[b].name.toLowerCase()));
    const max = Math.max(1, ...DIST_COUNT);
    for (const i of order) {
      const d = DISTS[i];
      tbody.append(el("tr", { class: "click", title: "show its modules", onclick: () => showModules({ dist: String(i) }) }, [
        el("td", { text: d.name }),
        el("td", { class: "mono", text: d.version || "" }),
        el("td", { class: "num" }, [String(d.modules), el("span", { class: "bar", style: "width:" + Math.round(60 * d.modules / max) + "px" })]),
        el("td", { text: d.kinds.map((k) => KIND_LABEL[k] || k).join(", ") }),
      ]));
    }
    $("dist-empty").hidden = DISTS.length > 0;
    $("dist-table").hidden = DISTS.length === 0;
    $("unused-count").textContent = "(" + D.loaded_unused.length + ")";
    $("unused-list").textContent = D.loaded_unused.length ? D.loaded_unused.join(", ") : "(none)";

    const mt = $("meta-table").tBodies[0];
    for (const k of Object.keys(meta)) {
      const v = meta[k];
      mt.append(el("tr", {}, [el("th", { text: k }), el("td", { class: "mono", text: typeof v === "string" ? v : JSON.stringify(v) })]));
    }
  }

  // -- the module table ---------------------------------------------------------------------
  const table = $("module-table");
  const tbody = table.tBodies[0];
  const ROWS = new Map(); // name -> tr
  const sortState = { key: "kind", dir: 1 }; // the program's own modules first

  function usesText(m) { return m.uses.join(", "); }
  function contextsText(m) {
    return m.contexts.map((c) => (c.context == null ? "run time" : "import of " + c.context)).join("; ");
  }
  function whereText(f) {
    if (!f) return "";
    let s = "";
    if (f.file) s += f.file + (f.line != null ? ":" + f.line : "");
    if (f.function) s += (s ? " in " : "in ") + f.function;
    return s;
  }
  function firstText(m) {
    const f = m.first;
    if (!f) return "";
    let s = f.kind;
    const w = whereText(f);
    if (w) s += " at " + w;
    if (f.context != null) s += ", during import of " + f.context;
    return s;
  }
  function badge(cls, text, title) { return el("span", { class: "badge " + cls, text: text, title: title }); }
  function kindBadge(kind) {
    return el("span", { class: "badge", style: "background:" + (D.colors[kind] || "#fff"), text: KIND_LABEL[kind] || kind });
  }
  function planBadge(d, name) {
    return d ? badge("plan-" + d.replace(/ /g, "-"), d, name && PLAN && PLAN.reasons[name] ? PLAN.reasons[name] : null) : "";
  }
  function modLink(name, opts) {
    if (!BY.has(name)) return el("span", { class: "mono", text: name, title: "not in this trace" });
    return el("a", {
      href: "#m=" + encodeURIComponent(name), class: "mono", text: name,
      onclick: (ev) => { ev.preventDefault(); select(name, opts || {}); },
    });
  }

  function buildTable() {
    for (const m of MODS) {
      const f = m.first;
      const contexts = contextsText(m);
      const ctxShort = m.contexts.length > 2
        ? m.contexts.slice(0, 2).map((c) => (c.context == null ? "run time" : "import of " + c.context)).join("; ") + " (+" + (m.contexts.length - 2) + ")"
        : contexts;
      const tr = el("tr", { "data-name": m.name }, [
        el("td", { class: "name" }, [modLink(m.name, { scroll: "graph" })]),
        el("td", {}, [kindBadge(m.kind)]),
        el("td", { text: m.dists.map(distLabel).join(", ") }),
        el("td", {}, [badge("when-" + m.when, WHEN_LABEL[m.when], WHEN_TITLE[m.when])]),
        el("td", { text: usesText(m) }),
        el("td", { text: ctxShort, title: contexts }),
        el("td", { class: "first", text: firstText(m), title: f && f.path ? f.path + (f.line != null ? ":" + f.line : "") : null }),
        el("td", {}, [f && f.by ? modLink(f.by, { scroll: "graph" }) : ""]),
        TESTS ? el("td", { class: "num", text: String((TESTS_OF.get(m.name) || []).length) }) : null,
        PLAN ? el("td", {}, [planBadge(planOf(m.name), m.name)]) : null,
      ]);
      ROWS.set(m.name, tr);
      tbody.append(tr);
    }
    // the filters
    const opt = (v, t) => el("option", { value: v, text: t });
    const kinds = $("f-kind");
    kinds.append(opt("", "all"));
    for (const k of D.kinds) {
      const n = MODS.filter((m) => m.kind === k).length;
      if (n) kinds.append(opt(k, (KIND_LABEL[k] || k) + " (" + n + ")"));
    }
    const dists = $("f-dist");
    dists.append(opt("", "all"), opt("@none", "none (" + MODS.filter((m) => !m.dists.length).length + ")"));
    DISTS.map((d, i) => i).sort((a, b) => cmp(DISTS[a].name.toLowerCase(), DISTS[b].name.toLowerCase()))
      .forEach((i) => dists.append(opt(String(i), distLabel(i) + " (" + DIST_COUNT[i] + ")")));
    const when = $("f-when");
    when.append(opt("", "all"));
    for (const w of ["run", "import", "only"]) when.append(opt(w, WHEN_LABEL[w] + " (" + MODS.filter((m) => m.when === w).length + ")"));
    const use = $("f-use");
    use.append(opt("", "all"));
    for (const u of ["called", "executed", "imported"]) use.append(opt(u, u + " (" + MODS.filter((m) => m.uses.indexOf(u) >= 0).length + ")"));
    const ctx = $("f-context");
    ctx.append(opt("", "all"), opt("@run", "run time"), opt("@import", "during any import"));
    const imports = new Map();
    for (const m of MODS) for (const c of m.contexts) if (c.context != null) imports.set(c.context, (imports.get(c.context) || 0) + 1);
    [...imports.keys()].sort().forEach((c) => ctx.append(opt("i:" + c, "import of " + c + " (" + imports.get(c) + ")")));
    if (TESTS) {
      const t = $("f-test");
      t.append(opt("", "all"), opt("@any", "used by some test"), opt("@none", "used by no test"));
      Object.keys(TESTS).sort().forEach((id) => t.append(opt("t:" + id, id)));
    }
    if (PLAN) {
      const p = $("f-plan");
      p.append(opt("", "all"));
      for (const d of DECISIONS) {
        const n = MODS.filter((m) => planOf(m.name) === d).length;
        if (n) p.append(opt(d, d + " (" + n + ")"));
      }
      p.append(opt("@none", "not in the plan"));
    }
    for (const id of ["f-kind", "f-dist", "f-when", "f-use", "f-context", "f-test", "f-plan"]) $(id).addEventListener("change", applyTable);
    $("filter").addEventListener("input", applyTable);
    $("f-reset").addEventListener("click", () => { showModules({}, true); });
    for (const th of table.tHead.rows[0].cells) {
      th.querySelector("button").addEventListener("click", () => {
        const key = th.getAttribute("data-key");
        if (sortState.key === key) sortState.dir = -sortState.dir;
        else { sortState.key = key; sortState.dir = 1; }
        for (const o of table.tHead.rows[0].cells) o.removeAttribute("aria-sort");
        th.setAttribute("aria-sort", sortState.dir > 0 ? "ascending" : "descending");
        applyTable();
      });
    }
  }

  function textMatcher(text) {
    text = text.trim();
    if (!text) return null;
    if (text.indexOf("*") >= 0 && !/\s/.test(text)) {
      const segs = text.split(".");
      if (segs.every((s) => s && (s === "**" || s.indexOf("**") < 0))) {
        let re = "";
        for (const s of segs) re += s === "**" ? "(?:\\.[^.]+)*" : "\\." + s.split("*").map(escapeRe).join("[^.]*");
        const rx = new RegExp("^" + re + "$");
        return (m) => rx.test("." + m.name);
      }
    }
    const low = text.toLowerCase();
    return (m) => m.name.toLowerCase().indexOf(low) >= 0 || m.dists.some((i) => distLabel(i).toLowerCase().indexOf(low) >= 0);
  }

  function rowFilter() {
    const text = textMatcher($("filter").value);
    const kind = $("f-kind").value, dist = $("f-dist").value, when = $("f-when").value;
    const use = $("f-use").value, ctx = $("f-context").value;
    const test = TESTS ? $("f-test").value : "", plan = PLAN ? $("f-plan").value : "";
    const testSet = test.slice(0, 2) === "t:" ? new Set(TESTS[test.slice(2)] || []) : null;
    return (m) => {
      if (text && !text(m)) return false;
      if (kind && m.kind !== kind) return false;
      if (dist === "@none" ? m.dists.length : dist && m.dists.indexOf(Number(dist)) < 0) return false;
      if (when && m.when !== when) return false;
      if (use && m.uses.indexOf(use) < 0) return false;
      if (ctx === "@run" && !m.contexts.some((c) => c.context == null)) return false;
      if (ctx === "@import" && !m.contexts.some((c) => c.context != null)) return false;
      if (ctx.slice(0, 2) === "i:" && !m.contexts.some((c) => c.context === ctx.slice(2))) return false;
      if (test === "@any" && !TESTS_OF.has(m.name)) return false;
      if (test === "@none" && TESTS_OF.has(m.name)) return false;
      if (testSet && !testSet.has(m.name)) return false;
      if (plan === "@none" ? planOf(m.name) : plan && planOf(m.name) !== plan) return false;
      return true;
    };
  }

  const SORT_KEYS = {
    name: (m) => m.name,
    kind: (m) => KIND_ORDER[m.kind],
    dist: (m) => (m.dists.length ? distLabel(m.dists[0]).toLowerCase() : "\uffff"),
    when: (m) => WHEN_ORDER[m.when],
    uses: (m) => usesText(m),
    context: (m) => contextsText(m),
    first: (m) => firstText(m),
    by: (m) => (m.first && m.first.by) || "\uffff",
    tests: (m) => -(TESTS_OF.get(m.name) || []).length,
    plan: (m) => { const p = planOf(m.name); return p ? DECISIONS.indexOf(p) : 99; },
  };

  function applyTable() {
    const keep = rowFilter();
    const key = SORT_KEYS[sortState.key] || SORT_KEYS.name;
    const dir = sortState.dir;
    const order = MODS.slice().sort((a, b) => dir * cmp(key(a), key(b)) || cmp(a.name, b.name));
    let shown = 0;
    for (const m of order) {
      const tr = ROWS.get(m.name);
      const ok = keep(m);
      tr.hidden = !ok;
      if (ok) shown++;
      tbody.append(tr);
    }
    $("row-count").textContent = shown === MODS.length ? plural(MODS.length, "module") : shown + " of " + plural(MODS.length, "module");
  }

  function showModules(f, stay) {
    $("filter").value = f.text || "";
    $("f-kind").value = f.kind || "";
    $("f-dist").value = f.dist || "";
    $("f-when").value = f.when || "";
    $("f-use").value = f.use || "";
    $("f-context").value = f.context || "";
    if (TESTS) $("f-test").value = f.test || "";
    if (PLAN) $("f-plan").value = f.plan || "";
    applyTable();
    if (!stay) $("modules").scrollIntoView();
  }

  // -- graph layout: layered, left to right ----------------------------------------------------
  let measureCtx = null;
  function textWidth(s) {
    if (measureCtx === null) {
      try {
        measureCtx = document.createElement("canvas").getContext("2d");
        measureCtx.font = "12px " + getComputedStyle(document.documentElement).fontFamily;
      } catch (e) { measureCtx = undefined; }
    }
    return measureCtx ? measureCtx.measureText(s).width : s.length * 7;
  }

  const NODE_H = 20, ROW_H = 26, LAYER_GAP = 70, SUB_GAP = 16, PAD = 14, MAX_ROWS = 32;

  /* nodes: [{id, label, root}], edges: [{s, t, n}] -> {pos: Map id -> {x, y, w, h, layer}, width, height}.
     Layers are the distance from the roots (the entry point; else modules nothing used);
     a few barycenter sweeps order each layer; a layer taller than MAX_ROWS wraps into
     several sub-columns, filled row by row so that the order still reads top to bottom. */
  function layout(nodes, edges) {
    const ids = nodes.map((n) => n.id);
    const outs = new Map(ids.map((i) => [i, []])), ins = new Map(ids.map((i) => [i, []]));
    for (const e of edges) {
      if (e.s === e.t || !outs.has(e.s) || !outs.has(e.t)) continue;
      outs.get(e.s).push(e.t);
      ins.get(e.t).push(e.s);
    }
    const layer = new Map();
    const order = [];
    const bfs = (starts) => {
      const queue = [];
      for (const s of starts) if (!layer.has(s)) { layer.set(s, 0); order.push(s); queue.push(s); }
      for (let qi = 0; qi < queue.length; qi++) {
        const u = queue[qi];
        for (const v of outs.get(u)) if (!layer.has(v)) { layer.set(v, layer.get(u) + 1); order.push(v); queue.push(v); }
      }
    };
    const byName = (a, b) => cmp(a, b);
    bfs(nodes.filter((n) => n.root).map((n) => n.id).sort(byName));
    bfs(ids.filter((i) => ins.get(i).length === 0).sort(byName));
    while (layer.size < ids.length) {
      let best = null;
      for (const i of ids) if (!layer.has(i) && (best === null || outs.get(i).length > outs.get(best).length)) best = i;
      bfs([best]);
    }
    let nLayers = 0;
    for (const l of layer.values()) nLayers = Math.max(nLayers, l + 1);
    const layers = [];
    for (let l = 0; l < nLayers; l++) layers.push([]);
    for (const i of order) layers[layer.get(i)].push(i);

    const width = new Map();
    for (const n of nodes) width.set(n.id, Math.ceil(textWidth(n.label)) + 16);
    const sub = layers.map((L) => Math.max(1, Math.ceil(L.length / MAX_ROWS)));
    const rows = layers.map((L, l) => Math.ceil(L.length / sub[l]));
    const maxRows = Math.max(1, ...rows);
    const yOf = new Map();
    const place = (l) => {
      const L = layers[l], k = sub[l];
      const off = (maxRows - rows[l]) * ROW_H / 2;
      L.forEach((id, i) => yOf.set(id, off + Math.floor(i / k) * ROW_H));
    };
    layers.forEach((L, l) => place(l));
    const sweep = (l, down) => {
      const L = layers[l];
      const key = new Map();
      L.forEach((id) => {
        const nb = (down ? ins.get(id) : outs.get(id)).filter((o) => (down ? layer.get(o) < l : layer.get(o) > l));
        key.set(id, nb.length ? nb.reduce((s, o) => s + yOf.get(o), 0) / nb.length : yOf.get(id));
      });
      L.sort((a, b) => key.get(a) - key.get(b));
      place(l);
    };
    for (let it = 0; it < 6; it++) {
      if (it % 2 === 0) for (let l = 1; l < nLayers; l++) sweep(l, true);
      else for (let l = nLayers - 2; l >= 0; l--) sweep(l, false);
    }
    for (let l = 1; l < nLayers; l++) sweep(l, true);

    const pos = new Map();
    let x = PAD;
    const colX = [];
    layers.forEach((L, l) => {
      const k = sub[l];
      const subW = [];
      for (let c = 0; c < k; c++) subW.push(0);
      L.forEach((id, i) => { subW[i % k] = Math.max(subW[i % k], width.get(id)); });
      const subX = [];
      for (let c = 0; c < k; c++) { subX.push(x); x += subW[c] + (c < k - 1 ? SUB_GAP : 0); }
      L.forEach((id, i) => pos.set(id, { x: subX[i % k], y: PAD + 18 + yOf.get(id), w: width.get(id), h: NODE_H, layer: l }));
      colX.push(subX[0]);
      x += LAYER_GAP;
    });
    return { pos: pos, width: Math.max(x - LAYER_GAP + PAD, 120), height: PAD * 2 + 18 + maxRows * ROW_H, colX: colX, layers: nLayers };
  }

  function edgePath(a, b) {
    const y1 = a.y + a.h / 2, y2 = b.y + b.h / 2;
    if (b.layer > a.layer) {
      const x1 = a.x + a.w, x2 = b.x - 2;
      const dx = Math.max(24, (x2 - x1) / 2);
      return { d: "M" + x1 + "," + y1 + " C" + (x1 + dx) + "," + y1 + " " + (x2 - dx) + "," + y2 + " " + x2 + "," + y2, back: false };
    }
    if (b.layer < a.layer) {
      const x1 = a.x, x2 = b.x + b.w + 2;
      const dx = Math.max(40, (x1 - x2) / 3);
      return { d: "M" + x1 + "," + y1 + " C" + (x1 - dx) + "," + (y1 + 20) + " " + (x2 + dx) + "," + (y2 + 20) + " " + x2 + "," + y2, back: true };
    }
    const x1 = a.x + a.w, x2 = b.x + b.w + 2;
    const bow = 30 + Math.min(80, Math.abs(y2 - y1) / 4);
    return { d: "M" + x1 + "," + y1 + " C" + (x1 + bow) + "," + y1 + " " + (x2 + bow) + "," + y2 + " " + x2 + "," + y2, back: true };
  }

  /* Draw a laid-out graph into svg. nodes: [{id, label, cls, fill, title, members}].
     Returns {nodeEls: Map id -> g, edgeEls: [{el, s, t}]}. */
  function drawGraph(svg, nodes, edges, lay, markerId, opts) {
    clear(svg);
    svg.setAttribute("viewBox", "0 0 " + lay.width + " " + lay.height);
    const mk = (id, color) => sv("marker", { id: id, viewBox: "0 0 10 10", refX: "9", refY: "5", markerUnits: "userSpaceOnUse", markerWidth: "8", markerHeight: "8", orient: "auto-start-reverse" },
      [sv("path", { d: "M0,1 L10,5 L0,9 z", fill: color })]);
    svg.append(sv("defs", {}, [mk(markerId, "#8b93a1"), mk(markerId + "-c", "#d6336c")]));
    if (opts && opts.columns) {
      lay.colX.forEach((cx, l) => svg.append(sv("text", { class: "colhead", x: cx, y: PAD + 6, text: l === 0 ? "entry" : l + (l === 1 ? " step" : " steps") })));
    }
    const gE = sv("g", { class: "edges" }), gN = sv("g", { class: "nodes" });
    svg.append(gE, gN);
    const edgeEls = [];
    for (const e of edges) {
      const a = lay.pos.get(e.s), b = lay.pos.get(e.t);
      if (!a || !b || e.s === e.t) continue;
      const p = edgePath(a, b);
      const chain = !!e.chain;
      const path = sv("path", {
        d: p.d, class: "edge" + (p.back ? " back" : "") + (chain ? " chain" : ""),
        "marker-end": "url(#" + markerId + (chain ? "-c" : "") + ")",
        "stroke-width": chain ? null : Math.min(4, 1 + Math.log2(e.n || 1) * 0.6).toFixed(2),
      });
      path.append(sv("title", { text: e.title || "" }));
      gE.append(path);
      edgeEls.push({ el: path, s: e.s, t: e.t });
    }
    const nodeEls = new Map();
    for (const n of nodes) {
      const p = lay.pos.get(n.id);
      const g = sv("g", { class: "node " + (n.cls || ""), transform: "translate(" + p.x + "," + p.y + ")", "data-id": n.id }, [
        sv("title", { text: n.title || n.label }),
        sv("rect", { width: p.w, height: p.h, rx: n.group ? 9 : 4, fill: n.fill || "#fff" }),
        sv("text", { x: 8, y: 14, text: n.label }),
      ]);
      gN.append(g);
      nodeEls.set(n.id, g);
    }
    return { nodeEls: nodeEls, edgeEls: edgeEls };
  }

  // -- the module graph ---------------------------------------------------------------------
  const G = {
    collapsed: new Set(), stdlib: true, color: "kind", zoom: 1, fitted: false,
    view: null, lay: null, drawn: null, selected: null, selectedGroup: null,
  };

  /* Group keys: "d:N" distribution N, "p:NAME" package NAME and everything under it,
     "s:" the whole standard library; "m:NAME" is one module. */
  const STD_COUNT = MODS.filter((m) => m.kind === "stdlib").length;
  function nodeOf(m) {
    if (m.kind === "stdlib" && G.collapsed.has("s:")) return "s:";
    const d = modDist(m);
    if (d != null && G.collapsed.has("d:" + d)) return "d:" + d;
    for (const p of parentsOf(m.name).concat([m.name])) if (G.collapsed.has("p:" + p)) return "p:" + p;
    return "m:" + m.name;
  }
  const MEMBERS = new Map();
  function membersOf(key) {
    let ms = MEMBERS.get(key);
    if (!ms) MEMBERS.set(key, (ms = findMembers(key)));
    return ms;
  }
  function findMembers(key) {
    const k = key.slice(0, 2);
    if (k === "s:") return MODS.filter((m) => m.kind === "stdlib");
    if (k === "d:") { const d = Number(key.slice(2)); return MODS.filter((m) => modDist(m) === d); }
    if (k === "p:") { const p = key.slice(2); return MODS.filter((m) => m.name === p || m.name.slice(0, p.length + 1) === p + "."); }
    const m = BY.get(key.slice(2));
    return m ? [m] : [];
  }
  function groupLabel(key) {
    if (key === "s:") return "standard library";
    if (key.slice(0, 2) === "d:") return distLabel(Number(key.slice(2)));
    return key.slice(2) + ".**";
  }
  function nodeCount() {
    const seen = new Set();
    for (const m of MODS) if (G.stdlib || m.kind !== "stdlib") seen.add(nodeOf(m));
    return seen.size;
  }

  const AUTO_NODES = 80;
  function preset(name) {
    G.collapsed.clear();
    const tops = new Set(MODS.map((m) => m.name.split(".")[0]));
    if (name === "packages") {
      for (const t of tops) if (foldable(t)) G.collapsed.add("p:" + t);
    } else if (name === "dists") {
      DISTS.forEach((d, i) => { if (DIST_COUNT[i] >= 2) G.collapsed.add("d:" + i); });
      if (STD_COUNT >= 2) G.collapsed.add("s:");
    } else if (name === "auto" && MODS.length > AUTO_NODES) {
      // everything folded (the standard library, each distribution, and the
      // program's own top-level packages), then the biggest groups opened,
      // the standard library last, while the graph keeps under AUTO_NODES boxes
      if (STD_COUNT >= 2) G.collapsed.add("s:");
      DISTS.forEach((d, i) => { if (DIST_COUNT[i] >= 2 && d.kinds.indexOf("third_party") >= 0) G.collapsed.add("d:" + i); });
      for (const t of tops) if (foldable(t)) G.collapsed.add("p:" + t);
      const tried = new Set();
      for (let guard = 0; guard < 400; guard++) {
        const open = [...G.collapsed].filter((k) => !tried.has(k)).map((k) => {
          const ms = membersOf(k);
          return { k: k, n: ms.length, std: ms.every((m) => m.kind === "stdlib") ? 1 : 0 };
        }).sort((a, b) => a.std - b.std || b.n - a.n);
        if (!open.length) break;
        const saved = new Set(G.collapsed);
        expand(open[0].k);
        if (nodeCount() > AUTO_NODES) { G.collapsed = saved; tried.add(open[0].k); }
      }
    }
  }

  /* Open a folded group: its modules show, with the packages inside it folded
     (one level down; when one package holds every module, one more level). */
  function expand(key) {
    const members = membersOf(key);
    G.collapsed.delete(key);
    const isPkg = key.slice(0, 2) === "p:";
    if (key === "s:") { // the standard library opens into its top-level packages
      for (const m of members) { const t = m.name.split(".")[0]; if (foldable(t)) G.collapsed.add("p:" + t); }
      return;
    }
    if (isPkg) { // nothing folded above it may hide it
      for (const p of parentsOf(key.slice(2))) G.collapsed.delete("p:" + p);
    }
    let depth = isPkg ? key.slice(2).split(".").length : 0;
    for (let guard = 0; guard < 30; guard++) {
      const groups = new Map();
      for (const m of members) {
        const parts = m.name.split(".");
        if (parts.length <= depth) continue;
        const c = parts.slice(0, depth + 1).join(".");
        groups.set(c, (groups.get(c) || 0) + 1);
      }
      if (groups.size === 1 && groups.values().next().value === members.length && members.length > 1) { depth++; continue; }
      for (const [c, n] of groups) if (n >= 2) G.collapsed.add("p:" + c);
      break;
    }
  }

  function fold(name) {
    const m = BY.get(name);
    const parents = parentsOf(name).filter(foldable);
    if (parents.length) G.collapsed.add("p:" + parents[parents.length - 1]);
    else if (foldable(name)) G.collapsed.add("p:" + name);
    else if (m && modDist(m) != null && DIST_COUNT[modDist(m)] >= 2) G.collapsed.add("d:" + modDist(m));
    else if (m && m.kind === "stdlib" && STD_COUNT >= 2) G.collapsed.add("s:");
    else return false;
    return true;
  }

  function colorFor(members) {
    const pick = (f) => {
      const count = new Map();
      for (const m of members) { const v = f(m); count.set(v, (count.get(v) || 0) + 1); }
      let best = null, bn = -1;
      for (const [v, n] of count) if (n > bn) { best = v; bn = n; }
      return best;
    };
    if (G.color === "when") return WHEN_COLORS[pick((m) => m.when)];
    if (G.color === "plan" && PLAN) return PLAN_COLORS[pick((m) => planOf(m.name))] || "#ffffff";
    return D.colors[pick((m) => m.kind)] || "#ffffff";
  }

  function buildView() {
    const nodes = new Map();
    const visible = (m) => G.stdlib || m.kind !== "stdlib";
    const ids = new Map();
    for (const m of MODS) ids.set(m.name, nodeOf(m));
    const nodeOf_ = (m) => ids.get(m.name);
    for (const m of MODS) {
      if (!visible(m)) continue;
      const id = nodeOf_(m);
      let n = nodes.get(id);
      if (!n) nodes.set(id, (n = { id: id, members: [], group: id.slice(0, 2) !== "m:" }));
      n.members.push(m);
    }
    const edgeMap = new Map();
    for (const m of MODS) {
      if (!visible(m)) continue;
      const t = nodeOf_(m);
      for (const u of m.used_by) {
        const um = BY.get(u);
        if (!um || !visible(um)) continue;
        const s = nodeOf_(um);
        if (s === t) continue;
        const k = s + "\u0000" + t;
        const e = edgeMap.get(k);
        if (e) e.n++;
        else edgeMap.set(k, { s: s, t: t, n: 1 });
      }
    }
    for (const n of nodes.values()) {
      const only = n.members.every((m) => m.when === "only");
      if (n.group) {
        n.label = groupLabel(n.id) + "  (" + n.members.length + ")";
        n.title = groupLabel(n.id) + ": " + plural(n.members.length, "module") + " (double-click to open)";
      } else {
        const m = n.members[0];
        n.label = m.name;
        n.title = m.name + "\n" + (KIND_LABEL[m.kind] || m.kind) + (m.dists.length ? ", " + distLabel(m.dists[0]) : "") +
          "\n" + WHEN_TITLE[m.when] + "\nhow: " + usesText(m) + (m.first ? "\nfirst: " + firstText(m) : "");
      }
      n.root = n.members.some((m) => m.kind === "main" || !m.first || !m.first.by);
      n.fill = colorFor(n.members);
      n.cls = (n.group ? "group" : "") + (only ? " only" : "");
    }
    const edges = [...edgeMap.values()];
    for (const e of edges) e.title = nodes.get(e.s).label + " \u2192 " + nodes.get(e.t).label + (e.n > 1 ? " (" + e.n + " uses)" : "");
    return { nodes: [...nodes.values()], edges: edges, byId: nodes };
  }

  function drawMain() {
    const t0 = performance.now();
    const view = buildView();
    const lay = layout(view.nodes, view.edges);
    const svg = $("g-svg");
    const drawn = drawGraph(svg, view.nodes, view.edges, lay, "arrow-g", { columns: true });
    G.view = view; G.lay = lay; G.drawn = drawn;
    G.inEdges = new Map(); G.outEdges = new Map();
    for (const e of drawn.edgeEls) {
      if (!G.outEdges.has(e.s)) G.outEdges.set(e.s, []);
      if (!G.inEdges.has(e.t)) G.inEdges.set(e.t, []);
      G.outEdges.get(e.s).push(e);
      G.inEdges.get(e.t).push(e);
    }
    if (!G.fitted) { G.fitted = true; G.zoom = Math.min(1, Math.max(0.7, fitZoom())); }
    applyZoom();
    $("g-count").textContent = plural(view.nodes.length, "node") + ", " + plural(drawn.edgeEls.length, "arrow") +
      " \u00b7 laid out in " + Math.round(performance.now() - t0) + " ms";
    markSelected(false);
    legend();
  }

  function fitZoom() {
    const vp = $("g-viewport");
    if (!G.lay) return 1;
    return Math.min((vp.clientWidth - 4) / G.lay.width, (vp.clientHeight - 4) / G.lay.height);
  }
  function applyZoom(keepCenter) {
    const svg = $("g-svg"), vp = $("g-viewport");
    const cx = (vp.scrollLeft + vp.clientWidth / 2) / (svg.clientWidth || 1);
    const cy = (vp.scrollTop + vp.clientHeight / 2) / (svg.clientHeight || 1);
    svg.setAttribute("width", Math.round(G.lay.width * G.zoom));
    svg.setAttribute("height", Math.round(G.lay.height * G.zoom));
    if (keepCenter) {
      vp.scrollLeft = cx * svg.clientWidth - vp.clientWidth / 2;
      vp.scrollTop = cy * svg.clientHeight - vp.clientHeight / 2;
    }
  }

  function legend() {
    const lg = $("g-legend");
    clear(lg);
    const item = (color, text) => el("span", {}, [el("span", { class: "sw", style: "background:" + color }), text]);
    if (G.color === "when") for (const w of ["run", "import", "only"]) lg.append(item(WHEN_COLORS[w], WHEN_LABEL[w]));
    else if (G.color === "plan" && PLAN) for (const d of DECISIONS) lg.append(item(PLAN_COLORS[d], d));
    else for (const k of D.kinds) lg.append(item(D.colors[k], KIND_LABEL[k] || k));
    lg.append(el("span", { text: "rounded, thick border: a folded package or distribution (double-click to open)" }));
  }

  function highlight(id, on) {
    const svg = $("g-svg");
    svg.classList.toggle("dim", on);
    const mark = (e, cls, inward) => {
      e.el.classList.toggle("hl", on);
      e.el.classList.toggle("in", on && inward);
      const other = G.drawn.nodeEls.get(inward ? e.s : e.t);
      if (other) other.classList.toggle("hl2", on);
    };
    for (const e of G.outEdges.get(id) || []) mark(e, "hl", false);
    for (const e of G.inEdges.get(id) || []) mark(e, "hl", true);
    const n = G.drawn.nodeEls.get(id);
    if (n) n.classList.toggle("hl", on);
  }

  function markSelected(scroll) {
    if (!G.drawn) return;
    for (const g of $("g-svg").querySelectorAll(".node.selected")) g.classList.remove("selected");
    let id = null;
    if (G.selectedGroup) id = G.selectedGroup;
    else if (G.selected && BY.has(G.selected)) id = nodeOf(BY.get(G.selected));
    const g = id && G.drawn.nodeEls.get(id);
    if (!g) return;
    g.classList.add("selected");
    if (scroll) {
      const p = G.lay.pos.get(id), vp = $("g-viewport");
      const x = p.x * G.zoom, y = p.y * G.zoom;
      if (x < vp.scrollLeft || x > vp.scrollLeft + vp.clientWidth - 40 || y < vp.scrollTop || y > vp.scrollTop + vp.clientHeight - 20) {
        vp.scrollLeft = x - vp.clientWidth / 2;
        vp.scrollTop = y - vp.clientHeight / 2;
      }
    }
  }

  function buildGraph() {
    preset("auto");
    const svg = $("g-svg");
    svg.addEventListener("click", (ev) => {
      const g = ev.target.closest && ev.target.closest(".node");
      if (!g) return;
      const id = g.getAttribute("data-id");
      if (id.slice(0, 2) === "m:") select(id.slice(2), {});
      else selectGroup(id);
    });
    svg.addEventListener("dblclick", (ev) => {
      const g = ev.target.closest && ev.target.closest(".node");
      if (!g) return;
      ev.preventDefault();
      const id = g.getAttribute("data-id");
      if (id.slice(0, 2) === "m:") { if (fold(id.slice(2))) { G.selectedGroup = null; drawMain(); markSelected(true); } }
      else { expand(id); G.selectedGroup = null; drawMain(); markSelected(true); }
    });
    let hovered = null;
    svg.addEventListener("mouseover", (ev) => {
      const g = ev.target.closest && ev.target.closest(".node");
      const id = g ? g.getAttribute("data-id") : null;
      if (id === hovered) return;
      if (hovered) highlight(hovered, false);
      hovered = id;
      if (id) highlight(id, true);
    });
    svg.addEventListener("mouseleave", () => { if (hovered) highlight(hovered, false); hovered = null; });
    $("g-preset").addEventListener("change", (ev) => { preset(ev.target.value); G.fitted = false; drawMain(); });
    $("g-stdlib").addEventListener("change", (ev) => { G.stdlib = ev.target.checked; drawMain(); });
    $("g-color").addEventListener("change", (ev) => { G.color = ev.target.value; drawMain(); });
    $("g-zoom-in").addEventListener("click", () => { G.zoom = Math.min(3, G.zoom * 1.25); applyZoom(true); });
    $("g-zoom-out").addEventListener("click", () => { G.zoom = Math.max(0.1, G.zoom / 1.25); applyZoom(true); });
    $("g-fit").addEventListener("click", () => { G.zoom = Math.max(0.1, Math.min(1.5, fitZoom())); applyZoom(false); });
    drawMain();
  }

  // -- the selected module: details and why -------------------------------------------------------
  function chainOf(name) {
    const steps = [];
    const seen = new Set();
    let cur = name, note = null;
    while (cur != null) {
      if (seen.has(cur)) { note = "the chain goes round in a circle at " + cur; break; }
      seen.add(cur);
      const m = BY.get(cur);
      if (!m) { steps.unshift({ name: cur, m: null }); note = cur + " is not in this trace (filtered out?)"; break; }
      steps.unshift({ name: cur, m: m });
      cur = m.first ? m.first.by : null;
    }
    return { steps: steps, note: note };
  }

  function stepText(m) {
    const f = m.first;
    if (!f) return "no first use recorded";
    if (!f.by) {
      if (m.kind === "main") return "the entry point: its code ran first";
      if (f.kind === "imported" && !f.file) return "imported by Python before the program ran";
      if (f.kind === "called" && !f.file) return "the traced callable";
      return f.kind + (f.file ? " at " + whereText(f) : "") + " (no module above it)";
    }
    const verb = { imported: "imported by", called: "called from", executed: "its code run from" }[f.kind] || f.kind + " by";
    let s = verb + " " + f.by;
    const w = whereText(f);
    if (w) s += " at " + w;
    s += f.context == null ? ", at run time" : ", while " + f.context + " was being imported";
    return s;
  }

  function verdict(m) {
    const imports = m.contexts.filter((c) => c.context != null).map((c) => c.context);
    if (m.when === "run") return "Used at run time (" + usesText(m) + ").";
    if (m.when === "import") {
      const active = m.contexts.filter((c) => c.context != null && c.uses.some((u) => u !== "imported")).map((c) => c.context);
      return "Used only while other modules were being imported: " + (active.length ? active : imports).join(", ") + ".";
    }
    const where = m.contexts.map((c) => (c.context == null ? "at run time" : "during the import of " + c.context));
    return "Only imported (" + where.join("; ") + "): its body ran, nothing of it was used afterwards.";
  }

  function linkList(names, limit, opts) {
    const box = el("div", { class: "linklist" });
    const shown = names.slice(0, limit || 40);
    for (const n of shown) box.append(modLink(n, opts), " ");
    if (names.length > shown.length) box.append(el("span", { class: "count", text: "and " + (names.length - shown.length) + " more" }));
    if (!names.length) box.append(el("span", { class: "count", text: "none" }));
    return box;
  }

  function details(name) {
    const box = $("details");
    clear(box);
    const m = BY.get(name);
    if (!m) return;
    const dl = el("dl");
    const row = (k, v) => { if (v != null && v !== "") dl.append(el("dt", { text: k }), el("dd", {}, [v])); };
    row("kind", kindBadge(m.kind));
    row("when", badge("when-" + m.when, WHEN_LABEL[m.when], WHEN_TITLE[m.when]));
    if (m.dists.length) row("distribution", m.dists.map(distLabel).join(", "));
    row("file", m.file ? el("span", { class: "mono", text: m.file, title: m.path }) : "(none)");
    row("how used", usesText(m));
    row("contexts", el("div", {}, m.contexts.map((c) => el("div", { text: (c.context == null ? "run time" : "import of " + c.context) + ": " + c.uses.join(", ") }))));
    row("first use", m.first ? el("span", { text: firstText(m) + (m.first.by ? "" : " (no module above it)") }) : "");
    if (PLAN) {
      const d = planOf(name);
      row("plan", el("span", {}, [planBadge(d) || "not in the plan", PLAN.reasons[name] ? " " + PLAN.reasons[name] : ""]));
    }
    const ch = chainOf(name);
    const chainBox = el("div", { class: "linklist" });
    ch.steps.forEach((s, i) => { if (i) chainBox.append(" \u2192 "); chainBox.append(modLink(s.name)); });
    const actions = el("div", { class: "actions" });
    const nodeId = nodeOf(m);
    if (nodeId.slice(0, 2) !== "m:") {
      actions.append(el("button", { type: "button", text: "open " + groupLabel(nodeId) + " in the graph", onclick: () => { expand(nodeId); drawMain(); markSelected(true); details(name); } }));
    }
    const parents = parentsOf(name).filter(foldable).reverse().slice(0, 3);
    if (foldable(name) && !G.collapsed.has("p:" + name)) parents.unshift(name);
    for (const p of parents) {
      if (G.collapsed.has("p:" + p)) continue;
      actions.append(el("button", { type: "button", "data-fold": p, text: "fold " + p + ".**", onclick: () => { G.collapsed.add("p:" + p); drawMain(); markSelected(true); details(name); } }));
    }
    const d = modDist(m);
    if (d != null && DIST_COUNT[d] >= 2 && !G.collapsed.has("d:" + d)) {
      actions.append(el("button", { type: "button", text: "fold " + distLabel(d), onclick: () => { G.collapsed.add("d:" + d); drawMain(); markSelected(true); details(name); } }));
    }
    if (m.kind === "stdlib" && STD_COUNT >= 2 && !G.collapsed.has("s:")) {
      actions.append(el("button", { type: "button", text: "fold the standard library", onclick: () => { G.collapsed.add("s:"); drawMain(); markSelected(true); details(name); } }));
    }
    actions.append(el("button", { type: "button", text: "show in table", onclick: () => { showModules({ text: name.replace(/\*/g, "") }); ROWS.get(name).scrollIntoView({ block: "center" }); } }));
    box.append(
      el("h3", { text: m.name }),
      el("p", { class: "why-verdict", text: verdict(m) }),
      dl,
      el("div", { class: "t" }, [el("strong", { text: "why: " })]), chainBox,
      el("p", {}, [el("a", { href: "#why", text: "the full chain, with files and lines \u2193" })]),
      actions,
      el("h4", { text: "used by (" + m.used_by.length + ")" }), linkList(m.used_by, 40),
      el("h4", { text: "uses (" + USES.get(name).length + ")" }), linkList(USES.get(name).slice().sort(), 40),
    );
    if (TESTS) {
      const ts = (TESTS_OF.get(name) || []).slice().sort();
      const list = el("div", { class: "linklist" });
      ts.slice(0, 30).forEach((t) => list.append(el("div", { class: "mono", text: t })));
      if (ts.length > 30) list.append(el("span", { class: "count", text: "and " + (ts.length - 30) + " more" }));
      if (!ts.length) list.append(el("span", { class: "count", text: "no test used it" }));
      box.append(el("h4", { text: "tests that used it (" + ts.length + ")" }), list);
    }
  }

  function groupDetails(id) {
    const box = $("details");
    clear(box);
    const members = membersOf(id).filter((m) => G.stdlib || m.kind !== "stdlib");
    const counts = { run: 0, import: 0, only: 0 };
    for (const m of members) counts[m.when]++;
    box.append(
      el("h3", { text: groupLabel(id) }),
      el("p", { class: "why-verdict", text: plural(members.length, "module") + ": " + counts.run + " used at run time, " + counts.import + " only during imports, " + counts.only + " only imported." }),
      el("div", { class: "actions" }, [el("button", { type: "button", text: "open it", onclick: () => { expand(id); G.selectedGroup = null; drawMain(); clear(box); box.append(el("p", { class: "empty", text: "Opened " + groupLabel(id) + "." })); } })]),
      el("h4", { text: "modules" }), linkList(members.map((m) => m.name), 200),
    );
  }

  function whyGraph(name) {
    const ch = chainOf(name);
    const chainIds = ch.steps.filter((s) => s.m).map((s) => s.name);
    const set = new Set(chainIds);
    // other modules that led to it: walk used_by backwards, nearest first
    const queue = [name];
    for (let qi = 0; qi < queue.length && set.size < 40; qi++) {
      const m = BY.get(queue[qi]);
      if (!m) continue;
      for (const u of m.used_by) if (BY.has(u) && !set.has(u) && set.size < 40) { set.add(u); queue.push(u); }
    }
    const chainEdges = new Set();
    for (let i = 1; i < chainIds.length; i++) chainEdges.add(chainIds[i - 1] + "\u0000" + chainIds[i]);
    const nodes = [...set].map((n) => {
      const m = BY.get(n);
      return {
        id: n, label: n, root: m.kind === "main" || !m.first || !m.first.by,
        fill: D.colors[m.kind] || "#fff", title: n + "\n" + WHEN_TITLE[m.when],
        cls: (chainIds.indexOf(n) >= 0 ? "chain" : "") + (m.when === "only" ? " only" : "") + (n === name ? " selected" : ""),
      };
    });
    const edges = [];
    for (const n of set) for (const u of BY.get(n).used_by) if (set.has(u) && u !== n) {
      const chain = chainEdges.has(u + "\u0000" + n);
      edges.push({ s: u, t: n, n: 1, chain: chain, title: u + " \u2192 " + n });
    }
    const lay = layout(nodes, edges);
    const svg = $("why-svg");
    drawGraph(svg, nodes, edges, lay, "arrow-w", {});
    svg.setAttribute("width", lay.width);
    svg.setAttribute("height", lay.height);
    svg.onclick = (ev) => {
      const g = ev.target.closest && ev.target.closest(".node");
      if (g) select(g.getAttribute("data-id"), {});
    };
    $("why-viewport").hidden = false;
  }

  function why(name) {
    const body = $("why-body");
    clear(body);
    const m = BY.get(name);
    if (!m) return;
    $("why-input").value = name;
    const ch = chainOf(name);
    const ol = el("ol", { class: "chain", id: "why-chain" });
    for (const s of ch.steps) {
      ol.append(el("li", { "data-name": s.name }, [
        modLink(s.name), s.m ? " " : "", s.m ? kindBadge(s.m.kind) : "",
        el("div", { class: "step", text: s.m ? stepText(s.m) : "not in this trace" }),
      ]));
    }
    body.append(el("p", { class: "why-verdict" }, [el("code", { text: name }), ": " + verdict(m)]));
    if (PLAN && planOf(name)) body.append(el("p", {}, ["Plan: ", planBadge(planOf(name)), PLAN.reasons[name] ? " \u2014 " + PLAN.reasons[name] : ""]));
    body.append(el("p", { class: "hint", text: "Each step is the first use of the next module, from the entry point down to " + name + "." }), ol);
    if (ch.note) body.append(el("p", { class: "hint", text: ch.note }));
    const prev = ch.steps.length > 1 ? ch.steps[ch.steps.length - 2].name : null;
    const others = m.used_by.filter((u) => u !== prev);
    if (others.length) body.append(el("p", {}, ["Also used by: ", linkList(others, 60)]));
    body.append(el("p", { class: "hint", text: "The picture: " + name + " and the modules that led to it (at most 40); the chain in colour." }));
    whyGraph(name);
  }

  function select(name, opts) {
    if (!BY.has(name)) return;
    G.selected = name;
    G.selectedGroup = null;
    for (const tr of tbody.querySelectorAll("tr.selected")) tr.classList.remove("selected");
    const tr = ROWS.get(name);
    if (tr) tr.classList.add("selected");
    details(name);
    why(name);
    markSelected(true);
    try { history.replaceState(null, "", "#m=" + encodeURIComponent(name)); } catch (e) { /* file: URLs may refuse */ }
    if (opts.scroll) $(opts.scroll).scrollIntoView();
  }
  function selectGroup(id) {
    G.selectedGroup = id;
    markSelected(false);
    groupDetails(id);
  }

  function buildWhy() {
    const dl = $("why-names");
    for (const m of MODS) dl.append(el("option", { value: m.name }));
    const input = $("why-input");
    const go = () => { const v = input.value.trim(); if (BY.has(v) && v !== G.selected) select(v, {}); };
    input.addEventListener("input", go);
    input.addEventListener("change", go);
  }

  // -- tests and plan -------------------------------------------------------------------------
  function buildTests() {
    if (!TESTS) return;
    const ids = Object.keys(TESTS).sort();
    const used = MODS.filter((m) => TESTS_OF.has(m.name)).length;
    $("tests-summary").textContent = plural(ids.length, "test") + "; " + used + " of " + plural(MODS.length, "module") +
      " were used by at least one test (the others only while collecting, or outside any test).";
    const tb = $("tests-table").tBodies[0];
    const rows = [];
    for (const id of ids) {
      const names = TESTS[id];
      const dists = new Set();
      for (const n of names) { const m = BY.get(n); if (m && m.kind === "third_party") for (const d of m.dists) dists.add(DISTS[d].name); }
      const tr = el("tr", { class: "click", title: "show the modules this test used", onclick: () => showModules({ test: "t:" + id }) }, [
        el("td", { class: "mono", text: id }), el("td", { class: "num", text: String(names.length) }), el("td", { text: [...dists].sort().join(", ") }),
      ]);
      rows.push([id.toLowerCase(), tr]);
      tb.append(tr);
    }
    const apply = () => {
      const q = $("t-filter").value.trim().toLowerCase();
      let n = 0;
      for (const [id, tr] of rows) { tr.hidden = q && id.indexOf(q) < 0; if (!tr.hidden) n++; }
      $("t-count").textContent = n === rows.length ? plural(n, "test") : n + " of " + plural(rows.length, "test");
    };
    $("t-filter").addEventListener("input", apply);
    apply();
  }

  function buildPlan() {
    if (!D.plan) return;
    const P = D.plan;
    $("plan-source").textContent = P.error ? P.error : "Source: " + (P.source || "plan") + ".";
    if (!PLAN || P.error) return;
    const cards = $("plan-cards");
    for (const d of DECISIONS) {
      const n = MODS.filter((m) => planOf(m.name) === d).length;
      if (n) cards.append(card(n, d, "plan: " + d, () => showModules({ plan: d }), PLAN_COLORS[d]));
    }
    const body = $("plan-body");
    if (P.extern && P.extern.length) {
      body.append(el("h3", { text: "extern: distributions to install" }),
        el("pre", { class: "mono", text: P.extern.map((d) => (d.version ? d.name + "==" + d.version : d.name)).join("\n") }));
    }
    const mocks = MODS.filter((m) => planOf(m.name) === "mock");
    if (mocks.length) {
      const ul = el("ul");
      for (const m of mocks) ul.append(el("li", {}, [modLink(m.name), PLAN.reasons[m.name] ? " \u2014 " + PLAN.reasons[m.name] : ""]));
      body.append(el("h3", { text: "mock: imported, never used" }), ul);
    }
    if (P.notes && P.notes.length) {
      const ul = el("ul");
      for (const n of P.notes) ul.append(el("li", { text: n }));
      body.append(el("h3", { text: "notes" }), ul);
    }
  }

  // -- start --------------------------------------------------------------------------------------
  buildSummary();
  buildTable();
  applyTable();
  buildTests();
  buildPlan();
  buildWhy();
  buildGraph();
  const h = location.hash;
  if (h.slice(0, 3) === "#m=") {
    let name = null;
    try { name = decodeURIComponent(h.slice(3)); } catch (e) { name = null; }
    if (name && BY.has(name)) select(name, { scroll: "graph" });
  }
  document.body.setAttribute("data-ready", "1");
})();
