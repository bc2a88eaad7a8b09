/* What the wall knows, and what the browser keeps of it between reloads.
 *
 * The wall knows only what it shows: the cameras on its tiles, those docked to open
 * incidents and those in the map's viewport (subscribe.js). That state comes over the
 * WebSocket on every (re)connect and every new subscription, then as events. Pixels come
 * only from the media endpoints, which check consent and purpose on every request: this
 * page decides nothing about who may see what, it only shows honestly what it gets.
 */

export const config = JSON.parse(document.getElementById("wall-config").textContent);
export const GRIDS = config.grids; // tiles per side, keys 1..5

export const state = {
  cameras: new Map(), // the subscribed cameras only: tiles, docked, the viewport's lone cameras
  clusters: [], // the viewport's clusters: {lat, lon, count}
  inView: 0, // cameras in the viewport, clustered or not
  incidents: new Map(),
  clockOffset: 0, // server time minus browser time, for "last frame N s ago"
  grid: 2,
  tiles: [], // camera id (or null) per tile
  focus: 0,
  enlarged: null,
  mapTile: null, // the tile the map covers, when it is on one
  connected: false,
  purpose: config.purpose || null, // {purpose, incident | case_number, label}: the wall's working purpose
};

/** A server time (ISO 8601) on the browser's clock. */
export function localTime(iso) {
  return Date.parse(iso) - state.clockOffset;
}

// Called whenever the tiles change (every change is saved): the subscription follows them.
const tileWatchers = [];

export function onTilesChanged(callback) {
  tileWatchers.push(callback);
}

export function saveLocal() {
  localStorage.setItem("rtcc.wall", JSON.stringify({ grid: state.grid, tiles: state.tiles }));
  tileWatchers.forEach((callback) => callback());
}

export function loadLocal() {
  try {
    const saved = JSON.parse(localStorage.getItem("rtcc.wall") || "null");
    if (saved && GRIDS.includes(saved.grid) && Array.isArray(saved.tiles)) {
      state.grid = saved.grid;
      state.tiles = saved.tiles;
    }
  } catch (e) { /* a broken entry is replaced on the next save */ }
}

// The working purpose is kept by the server for this sign-in (GET/PUT/DELETE /wall/purpose/)
// and arrives with the page; a "Not now" is kept for the browser tab, so a reload does not ask again.
const DECLINED_KEY = "rtcc.purpose.declined";

export function purposeDeclined() {
  return sessionStorage.getItem(DECLINED_KEY) === "1";
}

export function setPurposeDeclined(declined) {
  if (declined) sessionStorage.setItem(DECLINED_KEY, "1");
  else sessionStorage.removeItem(DECLINED_KEY);
}
