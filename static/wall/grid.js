/* The grid: which camera is on which tile, the selected tile, enlarging and the grid's keys. */

import { $ } from "./dom.js";
import { closeLive } from "./http.js";
import { GRIDS, saveLocal, state } from "./state.js";
import { Tile } from "./tile.js";

export const tiles = []; // the Tile objects on the page, in grid order

const actions = {
  focus: (index, moveFocus) => setFocus(index, moveFocus),
  enlarge: (index) => toggleEnlarge(index),
  put: (index, cameraId) => putCamera(index, cameraId),
};

// A private camera that leaves the wall ends its viewing session on the server; an on-demand
// agency camera (no session) lets go of its demand, so its relay stops after the linger rather
// than when its link's demand lapses.
function closeViewing(cameraId) {
  const camera = state.cameras.get(cameraId);
  if (!camera) return;
  if (camera.kind === "public" ? camera.relay_mode === "on_demand" : state.purpose) closeLive(cameraId);
}

/** Show `size`×`size` tiles holding `cameraIds` (default: the cameras shown now, in order). */
export function setGrid(size, cameraIds) {
  const before = new Set(state.tiles.filter(Boolean));
  const count = size * size;
  const next = (cameraIds || state.tiles).slice(0, count);
  while (next.length < count) next.push(null);
  state.grid = size;
  state.tiles = next;
  state.focus = Math.min(state.focus, count - 1);
  state.enlarged = null;
  saveLocal();
  next.forEach((cameraId) => before.delete(cameraId));
  before.forEach(closeViewing);
  buildGrid();
}

function buildGrid() {
  tiles.splice(0).forEach((tile) => tile.dispose());
  const gridEl = $("grid");
  gridEl.dataset.grid = String(state.grid);
  gridEl.classList.remove("has-enlarged");
  document.querySelectorAll(".grid-button").forEach((button) => {
    button.classList.toggle("active", Number(button.dataset.grid) === state.grid);
  });
  state.tiles.forEach((cameraId, index) => {
    const tile = new Tile(index, actions);
    tiles.push(tile);
    gridEl.appendChild(tile.el);
  });
  renderTiles();
}

export function renderTiles() {
  tiles.forEach((tile) => tile.render());
}

/** Re-render the tiles that show, or should show, this camera. */
export function renderCamera(cameraId) {
  tiles.forEach((tile) => {
    if (state.tiles[tile.index] === cameraId || tile.cameraId === cameraId) tile.render();
  });
}

/** Show `cameraIds` on a `size` grid: tile by tile when the grid stays, so other tiles keep playing. */
export function arrange(size, cameraIds) {
  if (size !== state.grid || cameraIds.length !== state.tiles.length) { setGrid(size, cameraIds); return; }
  const before = new Set(state.tiles.filter(Boolean));
  const changed = cameraIds.map((cameraId, index) => state.tiles[index] !== cameraId);
  state.tiles = cameraIds.slice();
  saveLocal();
  // Closed only once the whole wall is known: a camera that moved to another tile stays open.
  cameraIds.forEach((cameraId) => before.delete(cameraId));
  before.forEach(closeViewing);
  tiles.forEach((tile) => { if (changed[tile.index]) tile.render(); });
}

export function putCamera(index, cameraId) {
  const previous = state.tiles[index];
  state.tiles[index] = cameraId;
  saveLocal();
  if (previous && previous !== cameraId && !state.tiles.includes(previous)) closeViewing(previous);
  tiles[index].render();
}

/** Put a camera on the focused tile, or the first empty one, then focus the next. */
export function placeCamera(cameraId, incidentId) {
  const empty = state.tiles.indexOf(null);
  const index = state.tiles[state.focus] === null || empty < 0 ? state.focus : empty;
  if (incidentId) tiles[index].incident = incidentId;
  putCamera(index, cameraId);
  setFocus(Math.min(index + 1, state.tiles.length - 1));
}

/** A camera chosen by keyboard (list, search) goes on the selected tile; the next tile is selected. */
export function putOnSelected(cameraId) {
  const index = state.focus;
  putCamera(index, cameraId);
  setFocus(Math.min(index + 1, state.tiles.length - 1), false);
  return index;
}

/** Select a tile; `moveFocus` false keeps the keyboard where it is (in the camera list). */
export function setFocus(index, moveFocus = true) {
  const previous = tiles[state.focus];
  state.focus = Math.max(0, Math.min(index, state.tiles.length - 1));
  if (previous) {
    previous.el.classList.remove("focused");
    previous.el.tabIndex = -1;
  }
  const tile = tiles[state.focus];
  tile.el.classList.add("focused");
  // One tile is in the Tab order (the selected one); arrows move among the rest.
  tile.el.tabIndex = 0;
  if (moveFocus) tile.el.focus({ preventScroll: false });
}

export function toggleEnlarge(index) {
  state.enlarged = state.enlarged === index ? null : index;
  $("grid").classList.toggle("has-enlarged", state.enlarged !== null);
  renderTiles();
}

// Keys on a tile (or on no control at all): a button, a list item or a field keeps its own keys.
function onTileKey(event) {
  const onTile = event.target.classList && event.target.classList.contains("tile");
  if (!onTile && event.target !== document.body) return;
  const side = state.grid;
  const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -side, ArrowDown: side };
  if (event.key in moves) {
    event.preventDefault();
    const next = state.focus + moves[event.key];
    if (next >= 0 && next < state.tiles.length) setFocus(next);
  } else if (event.key === "Enter") {
    event.preventDefault();
    // An empty tile has nothing to enlarge: Enter goes to the camera search to fill it.
    if (state.tiles[state.focus] === null && state.enlarged === null) $("camera-search").focus();
    else toggleEnlarge(state.focus);
  } else if (event.key === "Escape" && state.enlarged !== null) {
    toggleEnlarge(state.enlarged);
  } else if ((event.key === "Delete" || event.key === "Backspace") && onTile) {
    event.preventDefault();
    putCamera(state.focus, null);
  }
}

/** Keys anywhere but in a field or a dialog: grid sizes. */
function onGridSizeKey(event) {
  if (event.target.closest("input, select, textarea, dialog") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (/^[1-9]$/.test(event.key) && Number(event.key) <= GRIDS.length) setGrid(GRIDS[Number(event.key) - 1]);
}

export function initGrid() {
  document.querySelectorAll(".grid-button").forEach((button) => {
    button.addEventListener("click", () => setGrid(Number(button.dataset.grid)));
  });
  document.addEventListener("keydown", onTileKey);
  document.addEventListener("keydown", onGridSizeKey);
  // A hidden tab plays nothing; its tiles come back as players when it is shown again.
  document.addEventListener("visibilitychange", renderTiles);
  setGrid(state.grid, state.tiles);
}
