/* Saved layouts: save, load, delete, and (supervisors) push a layout to every wall. */

import { $, option } from "./dom.js";
import { setGrid } from "./grid.js";
import { api, reasonOf } from "./http.js";
import { state } from "./state.js";

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
  const response = await api("POST", "/wall/layouts/" + layout.id + "/push/").catch(() => null);
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

/** A layout a supervisor pushed, applied once per push: afterwards the dispatcher may rearrange. */
export function applyPushed(pushed) {
  if (!pushed) return;
  if (Number(localStorage.getItem("rtcc.pushed") || 0) >= pushed.id) return;
  localStorage.setItem("rtcc.pushed", String(pushed.id));
  setGrid(pushed.grid, pushed.tiles);
  layoutStatus("Wall set by " + (pushed.pushed_by || "a supervisor") + ": “" + pushed.name + "”.");
}

export function initLayouts() {
  $("layouts").addEventListener("submit", (event) => { event.preventDefault(); saveLayout(); });
  $("layout-select").addEventListener("change", () => {
    const layout = layouts.find((entry) => String(entry.id) === $("layout-select").value);
    if (layout) { $("layout-name").value = layout.name; setGrid(layout.grid, layout.tiles); }
  });
  $("layout-delete").addEventListener("click", deleteLayout);
  if ($("layout-push")) $("layout-push").addEventListener("click", pushLayout);
  loadLayouts();
}
