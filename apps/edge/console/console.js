"use strict";
// The console's life: poll GET /console/state once a second while the page is visible (a hidden
// tab asks nothing, so nobody looking costs the edge nothing), show the totals, turn the change
// between two snapshots into events, and let an operator set or clear a limit. The operator's
// token lives in a variable of this closure: never in the URL, a cookie or local storage.
(() => {
  const pollMs = 1000;
  const keptEvents = 100;
  const $ = (id) => document.getElementById(id);
  const kw = GridView.kw;

  let operatorToken = null;
  let previous = null;  // the last state and when it came (performance.now(), ms)
  let previousAt = 0;
  let energyKwh = 0;
  let timer = null;
  let polls = 0;

  function showConnection(up, text) {
    const connection = $("connection");
    connection.dataset.state = up ? "up" : "down";
    connection.textContent = text;
  }

  function addEvent(kind, text) {
    const item = document.createElement("li");
    item.dataset.kind = kind;
    const time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    item.append(time, text);
    const list = $("event-list");
    list.prepend(item);
    while (list.children.length > keptEvents) list.lastChild.remove();
  }

  // What happened between two snapshots. Only what the snapshots show can be told: a substation
  // that died and came back within one second is not seen.
  function tellChanges(before, after) {
    const known = new Map(before.substations.map((s) => [s.id, s]));
    for (const s of after.substations) {
      const was = known.get(s.id);
      known.delete(s.id);
      if (!was) {
        addEvent("joined", `${s.id} joined (${kw(s.capacity_kw)} kW)`);
        continue;
      }
      if (was.live && !s.live) addEvent("died", `${s.id} died: its heartbeats stopped`);
      if (!was.live && s.live) addEvent("back", `${s.id} is back`);
      if (!was.ejected && s.ejected) addEvent("died", `${s.id} ejected: its jobs fail`);
      if (was.ejected && !s.ejected) addEvent("back", `${s.id} no longer ejected`);
      if (Math.abs(was.limit_kw - s.limit_kw) > 1e-6) {
        addEvent("limit", s.limit_kw >= s.capacity_kw ? `${s.id} limit cleared: ${kw(s.capacity_kw)} kW capacity`
          : `${s.id} limit ${kw(was.limit_kw)} → ${kw(s.limit_kw)} kW`);
      }
    }
    for (const id of known.keys()) addEvent("died", `${id} left the balancer's table`);
    const refused = after.edge.charges_refused_total - before.edge.charges_refused_total;
    if (refused > 0) addEvent("refused", `${refused} charge request${refused > 1 ? "s" : ""} refused (503)`);
  }

  function showTotals(state, seconds) {
    const totals = state.totals;
    $("total-power").textContent = `${kw(totals.allocated_kw)} / ${kw(totals.limit_kw)} kW`;
    $("total-live").textContent = `${totals.live} of ${totals.substations}`;
    $("total-sessions").textContent = `${totals.sessions - totals.paused_sessions} / ${totals.paused_sessions}`;
    $("total-refused").textContent = `${state.edge.unavailable_total} / ${state.edge.charges_refused_total}`;
    if (previous && seconds > 0) {
      // A counter that went down is a restarted edge: no rate for that second.
      const requests = state.edge.api_requests_total - previous.edge.api_requests_total;
      if (requests >= 0) $("total-rate").textContent = (requests / seconds).toFixed(1);
    }
    $("total-energy").textContent = `${energyKwh.toFixed(3)} kWh`;
  }

  function showSubstationChoice(substations) {
    const select = $("limit-substation");
    const ids = substations.map((s) => s.id);
    const current = [...select.options].map((option) => option.value);
    if (ids.length === current.length && ids.every((id, i) => id === current[i])) return;
    const chosen = select.value;
    select.replaceChildren(...ids.map((id) => new Option(id, id)));
    if (ids.includes(chosen)) select.value = chosen;
  }

  function update(state, at) {
    const seconds = previous ? (at - previousAt) / 1000 : 0;
    // Energy as the allocated power summed over the time watched (trapezoids between polls);
    // a gap longer than a few polls (a hidden tab) is not guessed across.
    if (previous && seconds < 5) energyKwh += ((previous.totals.allocated_kw + state.totals.allocated_kw) / 2) * (seconds / 3600);
    if (previous) tellChanges(previous, state);
    else addEvent("joined", `watching ${state.totals.substations} substations, ${state.totals.live} live`);
    showTotals(state, seconds);
    GridView.render(state.substations);
    showSubstationChoice(state.substations);
    if (!state.edge.operators_enabled) {
      $("token-state").textContent = "Operator limits are disabled on this edge (no --operator-token-file).";
      for (const button of document.querySelectorAll("#operator button")) button.disabled = true;
    }
    previous = state;
    previousAt = at;
    document.body.dataset.polls = String(++polls);
  }

  async function poll() {
    try {
      const response = await fetch("/console/state", { cache: "no-store" });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || `status ${response.status}`);
      showConnection(true, "live: polling the edge each second");
      update(body, performance.now());
    } catch (error) {
      showConnection(false, `no grid state: ${error.message}`);
    }
  }

  // One poll at a time, the next a second after the last began (or at once when it took longer).
  async function pollLoop() {
    timer = null;
    const started = performance.now();
    await poll();
    if (document.hidden) return;
    timer = setTimeout(pollLoop, Math.max(0, pollMs - (performance.now() - started)));
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      clearTimeout(timer);
      timer = null;
    } else if (timer === null) {
      previous = null;  // the time hidden is not counted in rates or energy
      pollLoop();
    }
  });

  // The operator's side: a token kept in memory, and the limit form.
  function showToken() {
    $("token-state").textContent = operatorToken ? "Token in this page's memory: limits can be changed."
      : "No token: the limits can be read, not changed. The token stays in this page's memory only.";
    $("forget-token").hidden = !operatorToken;
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    operatorToken = $("token").value.trim() || null;
    $("token").value = "";
    showToken();
  });
  $("forget-token").addEventListener("click", () => {
    operatorToken = null;
    showToken();
  });

  function showResult(ok, text) {
    const result = $("limit-result");
    result.dataset.ok = String(ok);
    result.textContent = text;
  }

  async function changeLimit(clear) {
    const id = $("limit-substation").value;
    if (!operatorToken) return showResult(false, "Enter the operator token first.");
    if (!id) return showResult(false, "No substation to limit.");
    const request = { method: clear ? "DELETE" : "PUT", headers: { Authorization: `Bearer ${operatorToken}` } };
    if (!clear) {
      const limit = { limit_kw: Number($("limit-kw").value) };
      const duration = $("limit-duration").value;
      if (duration !== "") limit.duration_s = Number(duration);
      request.headers["Content-Type"] = "application/json";
      request.body = JSON.stringify(limit);
    }
    try {
      const response = await fetch(`/substations/${encodeURIComponent(id)}/limit`, request);
      const body = await response.json();
      if (!response.ok) return showResult(false, `${id}: ${response.status} ${body.error || ""}`);
      const expiry = body.expires_in_s > 0 ? ` for ${Math.round(body.expires_in_s)} s` : "";
      showResult(true, clear ? `${id}: limit cleared, ${kw(body.limit_kw)} kW` : `${id}: limit ${kw(body.limit_kw)} kW${expiry}`);
    } catch (error) {
      showResult(false, `${id}: ${error.message}`);
    }
  }

  $("limit-form").addEventListener("submit", (event) => {
    event.preventDefault();
    changeLimit(false);
  });
  $("clear-limit").addEventListener("click", () => changeLimit(true));

  showToken();
  pollLoop();
})();
