/* How the wall uses the screen: the side panel shown or collapsed, and the map on the side,
 * on one tile of the grid, or filling the screen. The browser keeps the choice (localStorage).
 *
 * The map's element moves between places in the page (Leaflet follows its container); it is
 * put on a tile by grid lines named in data attributes, never by an inline style.
 */

import { $ } from "./dom.js";
import { renderTiles } from "./grid.js";
import { resizeMap } from "./map.js";
import { state } from "./state.js";

const SIDE_KEY = "rtcc.wall.side";
const MAP_KEY = "rtcc.wall.map";
const MODES = ["side", "tile", "screen"];

function stored(key) {
  try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
}

export function setSideCollapsed(collapsed) {
  $("wall").dataset.side = collapsed ? "collapsed" : "open";
  const button = $("side-toggle");
  button.setAttribute("aria-expanded", String(!collapsed));
  button.textContent = collapsed ? "Show panel" : "Hide panel";
  localStorage.setItem(SIDE_KEY, JSON.stringify(collapsed));
  resizeMap();
}

export function toggleSide() {
  setSideCollapsed($("wall").dataset.side !== "collapsed");
}

/** Where the map is: on the side panel, on tile `index` of the grid, or on the whole screen. */
export function placeMap(mode, index = state.focus) {
  if (!MODES.includes(mode)) mode = "side";
  const frame = $("map-frame");
  const wall = $("wall");
  state.mapTile = null;
  if (mode === "tile") {
    state.mapTile = Math.max(0, Math.min(Number(index) || 0, state.tiles.length - 1));
    $("grid").appendChild(frame);
    onTile(frame);
  } else if (mode === "screen") {
    wall.appendChild(frame);
  } else {
    $("wall-side").appendChild(frame);
  }
  wall.dataset.map = mode;
  $("map-back").hidden = mode === "side";
  $("map-tile").setAttribute("aria-pressed", String(mode === "tile"));
  $("map-screen").setAttribute("aria-pressed", String(mode === "screen"));
  localStorage.setItem(MAP_KEY, JSON.stringify({ mode, tile: state.mapTile }));
  // The tile under the map plays nothing: no stream is fetched for a picture no one sees.
  renderTiles();
  resizeMap();
}

/** Put the frame on its tile's grid lines; a smaller grid brings it to its last tile. */
function onTile(frame) {
  const side = state.grid;
  state.mapTile = Math.min(state.mapTile, side * side - 1);
  frame.dataset.row = String(Math.floor(state.mapTile / side) + 1);
  frame.dataset.col = String((state.mapTile % side) + 1);
}

function toggleMap(mode) {
  placeMap($("wall").dataset.map === mode ? "side" : mode);
}

export const toggleMapOnTile = () => toggleMap("tile");
export const toggleMapScreen = () => toggleMap("screen");

function onKey(event) {
  if (event.key === "Escape" && $("wall").dataset.map === "screen" && !event.target.closest("dialog")) {
    placeMap("side");
  }
}

export function initView() {
  setSideCollapsed(stored(SIDE_KEY) === true);
  $("side-toggle").addEventListener("click", toggleSide);
  $("map-tile").addEventListener("click", toggleMapOnTile);
  $("map-screen").addEventListener("click", toggleMapScreen);
  $("map-back").addEventListener("click", () => placeMap("side"));
  document.addEventListener("keydown", onKey);
  // A grid of another size moves the map to the same tile number, or the last tile.
  new MutationObserver(() => {
    if ($("wall").dataset.map === "tile") { onTile($("map-frame")); renderTiles(); resizeMap(); }
  }).observe($("grid"), { attributes: true, attributeFilter: ["data-grid"] });
  const saved = stored(MAP_KEY);
  if (saved && saved.mode !== "side") placeMap(saved.mode, saved.tile);
}
