"use strict";
// Draws the substations: a bar each while they fit on a screen, a sortable table past that (a
// thousand bars say nothing). Elements are kept per substation id and updated in place, so a
// redraw each second moves numbers, not the page. Text goes in through textContent only: a
// substation id is data, never markup.
const GridView = (() => {
  // Past this many substations, "automatic" shows the table.
  const barsUpTo = 24;
  const bars = document.getElementById("bars");
  const table = document.getElementById("table");
  const rows = table.tBodies[0];
  const barOf = new Map();
  const rowOf = new Map();
  let sortKey = "id";
  let ascending = true;
  let mode = "auto";
  let last = [];

  const kw = (value) => value.toFixed(1);
  // How much of its limit a substation uses: what "full" means to an operator.
  const use = (s) => (s.limit_kw > 0 ? s.allocated_kw / s.limit_kw : 0);
  const percent = (share) => `${(Math.min(Math.max(share, 0), 1) * 100).toFixed(2)}%`;
  const setText = (element, text) => {
    if (element.textContent !== text) element.textContent = text;
  };

  // The figures the browser test and an operator's tools read, the same on bars and rows.
  function describe(element, s) {
    element.dataset.substation = s.id;
    element.dataset.live = String(s.live);
    element.dataset.allocatedKw = String(s.allocated_kw);
    element.dataset.limitKw = String(s.limit_kw);
    element.dataset.capacityKw = String(s.capacity_kw);
    element.dataset.sessions = String(s.sessions);
    element.dataset.pausedSessions = String(s.paused_sessions);
  }

  function stateOf(s) {
    if (!s.live) return "dead";
    return s.ejected ? "ejected" : "live";
  }

  function makeBar() {
    const bar = document.createElement("div");
    bar.className = "substation";
    const name = document.createElement("div");
    name.className = "name";
    name.append(document.createElement("span"), document.createElement("span"));
    name.lastChild.className = "state";
    const track = document.createElement("div");
    track.className = "track";
    const fill = document.createElement("div");
    fill.className = "fill";
    const marker = document.createElement("div");
    marker.className = "marker";
    track.append(fill, marker);
    const figures = document.createElement("div");
    figures.className = "figures";
    bar.append(name, track, figures);
    return bar;
  }

  function updateBar(bar, s) {
    describe(bar, s);
    const [name, track, figures] = bar.children;
    setText(name.firstChild, s.id);
    setText(name.lastChild, stateOf(s));
    const capacity = s.capacity_kw > 0 ? s.capacity_kw : 1;
    const [fill, marker] = track.children;
    // Styles set through the DOM, which the Content-Security-Policy allows (inline style attributes it does not).
    fill.style.width = percent(s.allocated_kw / capacity);
    fill.dataset.nearLimit = String(use(s) >= 0.9);
    marker.style.left = percent(s.limit_kw / capacity);
    marker.title = `limit ${kw(s.limit_kw)} kW`;
    const charging = s.sessions - s.paused_sessions;
    setText(figures, `${kw(s.allocated_kw)} of ${kw(s.limit_kw)} kW (capacity ${kw(s.capacity_kw)}), ` +
      `${charging} charging, ${s.paused_sessions} paused`);
  }

  function updateRow(row, s) {
    describe(row, s);
    if (row.cells.length === 0) for (let i = 0; i < 8; ++i) row.insertCell();
    const cells = [s.id, stateOf(s), kw(s.allocated_kw), kw(s.limit_kw), kw(s.capacity_kw),
      `${(use(s) * 100).toFixed(0)}%`, String(s.sessions), String(s.paused_sessions)];
    cells.forEach((text, i) => setText(row.cells[i], text));
  }

  function compare(a, b) {
    const value = (s) => (sortKey === "use" ? use(s) : s[sortKey]);
    const x = value(a);
    const y = value(b);
    let order;
    if (typeof x === "string") order = x.localeCompare(y, undefined, { numeric: true });
    else order = Number(x) - Number(y);
    if (order === 0) order = a.id.localeCompare(b.id, undefined, { numeric: true });
    return ascending ? order : -order;
  }

  // Draws `substations` into `container`, reusing the element of each id and dropping the gone.
  function draw(container, elementOf, make, update, substations) {
    const seen = new Set();
    const ordered = substations.map((s) => {
      seen.add(s.id);
      let element = elementOf.get(s.id);
      if (!element) {
        element = make();
        elementOf.set(s.id, element);
      }
      update(element, s);
      return element;
    });
    for (const [id, element] of elementOf) {
      if (!seen.has(id)) {
        element.remove();
        elementOf.delete(id);
      }
    }
    // Re-append only when the order changed: moving a thousand rows each second is wasted layout.
    const inOrder = ordered.length === container.children.length &&
      ordered.every((element, i) => container.children[i] === element);
    if (!inOrder) container.replaceChildren(...ordered);
  }

  function clear(container, elementOf) {
    container.replaceChildren();
    elementOf.clear();
  }

  function render(substations) {
    last = substations;
    const asTable = mode === "table" || (mode === "auto" && substations.length > barsUpTo);
    table.hidden = !asTable;
    bars.hidden = asTable;
    if (asTable) {
      clear(bars, barOf);
      draw(rows, rowOf, () => document.createElement("tr"), updateRow, [...substations].sort(compare));
    } else {
      clear(rows, rowOf);
      draw(bars, barOf, makeBar, updateBar, substations);
    }
  }

  for (const header of table.tHead.rows[0].cells) {
    header.addEventListener("click", () => {
      const key = header.dataset.sort;
      ascending = key === sortKey ? !ascending : true;
      sortKey = key;
      for (const other of table.tHead.rows[0].cells) other.removeAttribute("aria-sort");
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      render(last);
    });
  }
  table.tHead.rows[0].cells[0].setAttribute("aria-sort", "ascending");
  document.getElementById("view").addEventListener("change", (event) => {
    mode = event.target.value;
    render(last);
  });

  return { render, kw };
})();
