/* Saved layouts: save, load, delete, and (supervisors) push a layout to every wall until it
 * expires; a wall showing a push can go back to its own layout. */

import { $, option } from "./dom.js";
import { setGrid } from "./grid.js";
import { api, reasonOf } from "./http.js";
import { localTime, state } from "./state.js";

const APPLIED_KEY = "rtcc.pushed"; // the newest push this browser has applied (or left)
const FOLLOWING_KEY = "rtcc.wall.following"; // the push shown now, and the wall it replaced

let layouts = [];

async function loadLayouts(selectId) {
  const response = await api("GET", "/wall/layouts/").catch(() => null);
  if (!response || !response.ok) return;
  layouts = response.data.layouts;
  $("layout-select").replaceChildren(
    option("", "Saved layouts…"),
    ...layouts.map((layout) => {
      const choice = option(layout.id, layout.name + (layout.shared ? " (agency)" : ""));
      choice.selected = layout.id === selectId;
      return choice;
    }),
  );
}

function layoutStatus(text, bad) {
  const status = $("layout-status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(bad));
}

async function saveLayout() {
  const name = $("layout-name").value.trim();
  if (!name) { layoutStatus("Name the layout first.", true); return null; }
  const shared = $("layout-shared") ? $("layout-shared").checked : false;
  const response = await api("POST", "/wall/layouts/", { name, grid: state.grid, tiles: state.tiles, shared })
    .catch(() => null);
  if (!response || !response.ok) { layoutStatus(reasonOf(response && response.data, "Not saved."), true); return null; }
  layoutStatus("Saved “" + name + "”.");
  await loadLayouts(response.data.id);
  return response.data;
}

async function pushLayout() {
  const layout = await saveLayout();
  if (!layout) return;
  const minutes = Number($("layout-push-hours").value);
  const response = await api("POST", "/wall/layouts/" + layout.id + "/push/", {
    name: layout.name, expires_in_minutes: minutes,
  }).catch(() => null);
  const ok = Boolean(response && response.ok);
  layoutStatus(ok ? "Pushed “" + layout.name + "” to every wall." : reasonOf(response && response.data, "Not pushed."), !ok);
}

async function deleteLayout() {
  const id = $("layout-select").value;
  if (!id) return;
  const response = await api("DELETE", "/wall/layouts/" + id + "/").catch(() => null);
  const ok = Boolean(response && response.ok);
  layoutStatus(ok ? "Deleted." : reasonOf(response && response.data, "Not deleted."), !ok);
  loadLayouts();
}

function following() {
  try { return JSON.parse(localStorage.getItem(FOLLOWING_KEY) || "null"); } catch (e) { return null; }
}

function clock(iso) {
  return new Date(localTime(iso)).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function expired(push) {
  return localTime(push.expires_at) <= Date.now();
}

function renderPushed() {
  const push = following();
  $("pushed-bar").hidden = !push;
  if (!push) return;
  $("pushed-now").textContent = "Wall pushed by " + (push.pushed_by || "a supervisor") + ": “" + push.name + "”, "
    + (expired(push) ? "expired at " : "until ") + clock(push.expires_at) + ".";
}

/** A layout a supervisor pushed, applied once per push and never once expired: afterwards the
 * dispatcher may rearrange, or go back to the wall they had before it. */
export function applyPushed(pushed) {
  renderPushed();
  if (!pushed || expired(pushed)) return;
  if (Number(localStorage.getItem(APPLIED_KEY) || 0) >= pushed.id) return;
  localStorage.setItem(APPLIED_KEY, String(pushed.id));
  // A push on top of a push keeps the wall the dispatcher had before the first.
  const own = (following() || {}).own || { grid: state.grid, tiles: state.tiles.slice() };
  const { id, name, pushed_by, expires_at } = pushed;
  localStorage.setItem(FOLLOWING_KEY, JSON.stringify({ id, name, pushed_by, expires_at, own }));
  setGrid(pushed.grid, pushed.tiles);
  renderPushed();
}

/** Keep the wall as it is now: the notice goes, and with it the way back. */
function keepPushed() {
  localStorage.removeItem(FOLLOWING_KEY);
  renderPushed();
}

/** Back to the wall this workstation had before the push; the push is not applied again. */
export function leavePushed() {
  const push = following();
  if (!push) return;
  localStorage.removeItem(FOLLOWING_KEY);
  setGrid(push.own.grid, push.own.tiles);
  renderPushed();
  layoutStatus("Back to your own wall; “" + push.name + "” left.");
}

export function initLayouts() {
  $("layouts").addEventListener("submit", (event) => { event.preventDefault(); saveLayout(); });
  $("layout-select").addEventListener("change", () => {
    const layout = layouts.find((entry) => String(entry.id) === $("layout-select").value);
    if (layout) { $("layout-name").value = layout.name; setGrid(layout.grid, layout.tiles); }
  });
  $("layout-delete").addEventListener("click", deleteLayout);
  if ($("layout-push")) $("layout-push").addEventListener("click", pushLayout);
  $("pushed-leave").addEventListener("click", leavePushed);
  $("pushed-keep").addEventListener("click", keepPushed);
  renderPushed();
  // "until 14:05" turns to "expired at 14:05" without a reload.
  setInterval(renderPushed, 30_000);
  loadLayouts();
}
