/* What the wall knows, and what the browser keeps of it between reloads.
 *
 * State comes whole over the WebSocket on every (re)connect, then as events. Pixels come
 * only from the media endpoints, which check consent and purpose on every request: this
 * page decides nothing about who may see what, it only shows honestly what it gets.
 */

export const config = JSON.parse(document.getElementById("wall-config").textContent);
export const GRIDS = config.grids; // tiles per side, keys 1..5

export const state = {
  cameras: new Map(),
  incidents: new Map(),
  clockOffset: 0, // server time minus browser time, for "last frame N s ago"
  grid: 2,
  tiles: [], // camera id (or null) per tile
  focus: 0,
  enlarged: null,
  connected: false,
};

/** A server time (ISO 8601) on the browser's clock. */
export function localTime(iso) {
  return Date.parse(iso) - state.clockOffset;
}

export function saveLocal() {
  localStorage.setItem("rtcc.wall", JSON.stringify({ grid: state.grid, tiles: state.tiles }));
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

// A purpose holds for the browser session: the dispatcher states it once per camera.
const PURPOSE_KEY = "rtcc.purpose.";

export function purposeFor(cameraId) {
  try { return JSON.parse(sessionStorage.getItem(PURPOSE_KEY + cameraId) || "null"); }
  catch (e) { return null; }
}

export function setPurpose(cameraId, purpose) {
  if (purpose) sessionStorage.setItem(PURPOSE_KEY + cameraId, JSON.stringify(purpose));
  else sessionStorage.removeItem(PURPOSE_KEY + cameraId);
}

/** Forget the purposes that named this incident; the ids of their cameras. */
export function forgetIncidentPurposes(incidentId) {
  const ended = new Set();
  Object.keys(sessionStorage).filter((key) => key.startsWith(PURPOSE_KEY)).forEach((key) => {
    const cameraId = Number(key.slice(PURPOSE_KEY.length));
    const purpose = purposeFor(cameraId);
    if (purpose && purpose.incident === incidentId) {
      sessionStorage.removeItem(key);
      ended.add(cameraId);
    }
  });
  return ended;
}
