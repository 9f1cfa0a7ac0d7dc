// tcpmodel explore: the page.  Every string from the server is put in with textContent
// (never parsed as HTML), except the sequence chart, an SVG whose text the server escaped.
"use strict";

const $ = (id) => document.getElementById(id);
let info = null;
// the path: a start state id, the action index taken at each step, the ids along it; the
// steps after `cursor` are the ones undone with Back (kept until another action is taken)
let path = { start: 0, moves: [], ids: [0], loopStart: null };
let cursor = 0;
let current = null;      // the state shown (the server's view)
let busy = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "className") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function api(url, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
  const r = await fetch(url, init);
  let data;
  try { data = await r.json(); } catch (e) { throw new Error(`${r.status} ${r.statusText}`); }
  if (!r.ok) throw new Error(data.error || `${r.status} ${r.statusText}`);
  return data;
}

function say(text, error) {
  const m = $("message");
  m.textContent = text || "";
  m.className = error ? "error" : "";
}

function setBusy(on) {
  busy += on ? 1 : -1;
  document.body.setAttribute("aria-busy", busy > 0 ? "true" : "false");
  document.body.dataset.busy = busy > 0 ? "1" : "0";
}

// ------------------------------------------------------------------ showing a state

async function show() {
  setBusy(true);
  try {
    const id = path.ids[cursor];
    const prev = cursor > 0 ? `&prev=${path.ids[cursor - 1]}&k=${path.moves[cursor - 1]}` : "";
    const [st, pt] = await Promise.all([
      api(`/api/state?id=${id}${prev}`),
      api("/api/path", { start: path.start, moves: path.moves.slice(0, cursor),
                         loop_start: path.loopStart }),
    ]);
    current = st;
    renderState(st);
    renderActions(st);
    renderProperties(st);
    renderPath(pt);
    document.body.dataset.step = String(cursor);
    document.body.dataset.state = String(id);
  } catch (e) {
    say(e.message, true);
  } finally {
    setBusy(false);
  }
}

function renderState(st) {
  $("step-no").textContent = String(cursor);
  st.endpoints.forEach((ep, i) => {
    const box = $(i === 0 ? "endpoint-a" : "endpoint-b");
    const rows = ep.tcb.map(([k, v]) => el("tr", {}, el("td", { text: k.toUpperCase().replace(/_/g, ".") }),
                                                 el("td", { className: "value", text: String(v) })));
    const extra = [el("tr", {}, el("td", { text: "incarnation" }),
                              el("td", { className: "value", text: String(ep.incarnation) }))];
    if (ep.script) {
      const s = ep.script;
      extra.push(el("tr", {}, el("td", { text: "script" }),
        el("td", { className: "value", text: `${s.done}/${s.steps}` + (s.next ? ` (next: ${s.next})` : " (done)") })));
    }
    box.replaceChildren(el("div", { className: "name", text: ep.name }),
                        el("div", { className: "tcp-state", text: ep.state, "data-state": ep.state }),
                        el("table", { "aria-label": `${ep.name} TCB` }, el("tbody", {}, ...rows, ...extra)));
  });
  const chans = st.channels.map((ch) => {
    const items = ch.segments.length ? ch.segments.map((s) => {
      const tag = `sent by incarnation ${s.sender_inc} to ${s.receiver_inc || "a closed endpoint"}`;
      return el("li", { className: "segment" + (s.stale ? " stale" : ""), title: tag },
                s.text + (s.stale ? "  STALE" : ""));
    }) : [el("li", { className: "note", text: "empty" })];
    return el("div", { className: "channel" },
              el("h3", { text: `${ch.name} (${ch.segments.length}/${ch.capacity}, ${ch.order})` }),
              el("ul", { "aria-label": `channel ${ch.name}` }, ...items));
  });
  $("channels").replaceChildren(...chans);
  const b = st.budgets.map((x) => `${x.name} ${x.used}/${x.bound === null ? "∞" : x.bound}`);
  $("budgets").textContent = (b.length ? "Fault budgets used: " + b.join(", ") + ". " : "") +
    (st.terminal ? "No action is enabled: a dead end." : "");
}

function renderActions(st) {
  $("action-count").textContent = `(${st.actions.length})`;
  const items = st.actions.map((a, i) => {
    const b = el("button", { type: "button", "data-k": String(a.k), "data-kind": a.kind,
                             "data-rule": a.rule, title: `to ${a.a} / ${a.b}`,
                             "aria-keyshortcuts": i < 9 ? String(i + 1) : null,
                             onclick: () => take(a.k, a.target) }, a.text);
    return el("li", { className: `kind-${a.kind}` }, b);
  });
  if (!items.length) items.push(el("li", { className: "note", text: "none: a dead end" }));
  $("actions").replaceChildren(...items);
}

function renderProperties(st) {
  const rows = st.properties.map((p) => {
    const cls = p.ok === null ? "neutral" : p.ok ? "ok" : p.kind === "always" ? "bad" : "neutral";
    return el("tr", { "data-property": p.name },
              el("td", { title: p.formula + (p.doc ? `\n${p.doc}` : "") }, el("code", { text: p.name })),
              el("td", { text: p.kind }),
              el("td", { className: cls, text: p.status }));
  });
  $("properties").tBodies[0].replaceChildren(...rows);
}

function renderPath(pt) {
  const items = [];
  const all = [{ note: "initial state", a: null, b: null }].concat(pt.steps);
  const tail = path.moves.length;
  for (let i = 0; i <= tail; i++) {
    const st = i <= cursor ? all[i] : null;
    const text = i === 0 ? "0. start" : st ? `${i}. ${st.note}` : `${i}. (undone)`;
    const li = el("li", { className: i === cursor ? "current" : i > cursor ? "undone" : "",
                          "data-step": String(i) },
                  el("button", { type: "button", title: st && st.rule ? `rule ${st.rule}` : null,
                                 "aria-current": i === cursor ? "step" : null,
                                 onclick: () => goTo(i) }, text));
    items.push(li);
  }
  $("path").replaceChildren(...items);
  const last = cursor > 0 ? all[cursor] : null;
  $("last-step").textContent = last ? `by ${last.note}` +
    (last.received || last.moved ? ` ${last.received || last.moved}` : "") +
    (last.sent && last.kind !== "inject" ? `, sends ${last.sent}` : last.sent ? ` ${last.sent}` : "") +
    (last.rule ? `  [${last.rule}]` : "") : "the initial state";
  $("chart").innerHTML = pt.svg;   // escaped by the server's chart writer
  $("path-text").textContent = pt.text;
  const moves = path.moves.slice(0, cursor).join(",");
  $("download").href = `/api/download?start=${path.start}&moves=${moves}`;
  $("back").disabled = cursor === 0;
  $("forward").disabled = cursor >= path.moves.length;
}

// ------------------------------------------------------------------ moving

function take(k, target) {
  if (path.moves.length > cursor && path.moves[cursor] === k) {
    cursor += 1;              // the step already on the path: keep what follows it
  } else {
    path.moves = path.moves.slice(0, cursor).concat([k]);
    path.ids = path.ids.slice(0, cursor + 1).concat([target]);
    path.loopStart = null;
    cursor += 1;
  }
  say("");
  return show();
}

function goTo(i) {
  if (i < 0 || i > path.moves.length) return;
  cursor = i;
  say("");
  return show();
}

async function load(start, moves, loopStart, message) {
  const pt = await api("/api/path", { start, moves });
  path = { start, moves: moves.slice(), ids: pt.ids, loopStart: loopStart ?? null };
  cursor = moves.length;
  await show();
  if (message) say(message);
}

// ------------------------------------------------------------------ verdicts and queries

async function loadVerdicts() {
  const box = $("verdicts");
  try {
    const v = await api("/api/verdicts");
    const items = v.properties.map((p) => {
      const li = el("li", { "data-property": p.name },
                    el("code", { text: p.name }), ` (${p.kind}): `,
                    el("span", { className: p.verdict, text: p.verdict }),
                    p.detail ? ` — ${p.detail} ` : " ");
      if (p.moves) {
        const what = `${p.what} (${p.steps} steps)`;
        li.append(el("button", { type: "button", className: "jump", "data-property": p.name,
          onclick: () => load(p.start, p.moves, p.loop_start,
            `${p.name}: shortest ${what}` + (p.loop_start !== null && p.loop_start !== undefined
              ? `; the steps from ${p.loop_start + 1} on repeat forever` : "")) },
          `jump to the ${what}`));
      }
      return li;
    });
    box.replaceChildren(el("p", { className: "note",
      text: `${v.states.toLocaleString()} states, ${v.transitions.toLocaleString()} transitions` +
            (v.complete ? ", complete" : ", incomplete") }), el("ul", {}, ...items));
    box.dataset.ready = "1";
  } catch (e) {
    box.replaceChildren(el("p", { className: "violated", text: e.message }));
    box.dataset.ready = "error";
  }
}

async function query(ev) {
  ev.preventDefault();
  const out = $("query-result");
  const formula = $("formula").value;
  out.className = "";
  out.textContent = "searching…";
  out.dataset.result = "";
  setBusy(true);
  try {
    const r = await api("/api/reach", { start: path.start, moves: path.moves.slice(0, cursor),
                                        formula });
    out.textContent = r.message;
    out.dataset.result = r.result;
    if (r.result === "reachable") {
      const moves = path.moves.slice(0, cursor).concat(r.moves);
      await load(path.start, moves, null, `followed the shortest path to ${formula}`);
    }
  } catch (e) {
    out.textContent = e.message;
    out.className = "error";
    out.dataset.result = "error";
  } finally {
    setBusy(false);
  }
}

async function openFile(ev) {
  const file = ev.target.files[0];
  if (!file) return;
  try {
    const doc = JSON.parse(await file.text());
    const p = await api("/api/open", { document: doc });
    await load(p.start, p.moves, p.loop_start, `opened ${file.name}`);
  } catch (e) {
    say(`${file.name}: ${e.message}`, true);
  }
  ev.target.value = "";
}

function keys(ev) {
  const t = ev.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || ev.ctrlKey || ev.metaKey || ev.altKey)) return;
  if (/^[1-9]$/.test(ev.key) && current) {
    const a = current.actions[Number(ev.key) - 1];
    if (a) { ev.preventDefault(); take(a.k, a.target); }
  } else if (ev.key === "ArrowLeft") {
    ev.preventDefault(); goTo(cursor - 1);
  } else if (ev.key === "ArrowRight") {
    ev.preventDefault(); goTo(cursor + 1);
  }
}

async function main() {
  setBusy(true);
  try {
    info = await api("/api/info");
    $("check-name").textContent = `${info.check} (${info.variant})`;
    document.title = `tcpmodel explore: ${info.check} (${info.variant})`;
    const set = Object.entries(info.overrides).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    $("check-info").textContent = info.description + (set.length ? `  Parameters set: ${set.join(" ")}` : "");
    $("back").addEventListener("click", () => goTo(cursor - 1));
    $("forward").addEventListener("click", () => goTo(cursor + 1));
    $("restart").addEventListener("click", () => load(info.initial[0], [], null, ""));
    $("query-form").addEventListener("submit", query);
    $("open-file").addEventListener("change", openFile);
    document.addEventListener("keydown", keys);
    if (info.opened) {
      const o = info.opened;
      await load(o.start, o.moves, o.loop_start, `opened ${o.title}`);
    } else {
      await load(info.initial[0], [], null, "");
    }
    document.body.dataset.ready = "1";
  } catch (e) {
    say(e.message, true);
  } finally {
    setBusy(false);
  }
  loadVerdicts();
}

main();
