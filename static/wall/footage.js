/* Footage requests from the wall: ask private cameras' owners for a recorded window.
 *
 * The owner decides; the wall only asks, under the API's rules (a case number and a reason,
 * 15 minutes to 12 hours, in the past), and shows each request's status where it was asked:
 * on the incident card, on the tile, or in the playback panel. The statuses are read back
 * from the API, never assumed.
 */

import { $, el } from "./dom.js";
import { api, reasonOf } from "./http.js";
import { state } from "./state.js";

export const MIN_WINDOW_MS = 15 * 60 * 1000;
const MAX_WINDOW_MS = 12 * 3600 * 1000;
const POLL_MS = 20000;
// Levels whose owners take footage requests (cameras/footage/services.py, SHARING_LEVELS).
const ASKABLE = new Set(["registry", "on_request", "live"]);

const asked = new Map(); // key (an incident or a camera) -> [{id, camera, status}]
const watchers = new Map(); // key -> {place: redraw(text)}, where each status shows
let askedFor = null; // {key, cameraIds, onDone}
// Kept for the browser tab, so a reload still says where the requests stand.
const ASKED_KEY = "rtcc.footage.asked";

function keep() {
  sessionStorage.setItem(ASKED_KEY, JSON.stringify([...asked]));
}

export const askable = (camera) => Boolean(camera) && camera.kind !== "public" && ASKABLE.has(camera.consent_level);

/** A window of at least 15 minutes around [from, to], ending in the past (all in ms). */
export function widened(from, to) {
  const now = Date.now() - 60000;
  let start = Math.min(from, to);
  let end = Math.min(Math.max(from, to), now);
  if (end - start < MIN_WINDOW_MS) {
    const pad = (MIN_WINDOW_MS - (end - start)) / 2;
    start -= pad;
    end = Math.min(end + pad, now);
    start = Math.min(start, end - MIN_WINDOW_MS);
  }
  if (end - start > MAX_WINDOW_MS) start = end - MAX_WINDOW_MS;
  return { start, end };
}

function localInput(ms) {
  const date = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return date.toISOString().slice(0, 16);
}

/** Open the request form for `cameraIds` (key: where the status shows), the window prefilled. */
export function askFootage(key, cameraIds, window, onDone) {
  askedFor = { key, cameraIds, onDone };
  const names = cameraIds.map((id) => (state.cameras.get(id) || { name: "Camera " + id }).name);
  $("footage-cameras").textContent = names.join(", ");
  const purpose = state.purpose;
  $("footage-case").value = purpose && purpose.case_number ? purpose.case_number : "";
  $("footage-reason").value = purpose ? purpose.purpose : "";
  $("footage-start").value = localInput(window.start);
  $("footage-end").value = localInput(window.end);
  $("footage-error").textContent = "";
  $("footage-dialog").showModal();
}

async function submitted(event) {
  event.preventDefault();
  if (event.submitter && event.submitter.value === "cancel") { $("footage-dialog").close(); return; }
  const start = new Date($("footage-start").value);
  const end = new Date($("footage-end").value);
  const body = {
    cameras: askedFor.cameraIds,
    start: isNaN(start) ? null : start.toISOString(),
    end: isNaN(end) ? null : end.toISOString(),
    case_number: $("footage-case").value.trim(),
    reason: $("footage-reason").value.trim(),
  };
  const response = await api("POST", "/api/v1/footage-requests/", body).catch(() => null);
  if (!response || !response.ok) {
    $("footage-error").textContent = reasonOf(response && response.data, "The request was not sent; try again.");
    return;
  }
  $("footage-dialog").close();
  const rows = response.data.map((row) => ({ id: row.id, camera: row.camera, status: row.status }));
  const key = askedFor.key;
  asked.set(key, [...(asked.get(key) || []), ...rows]);
  keep();
  show(key);
  if (askedFor.onDone) askedFor.onDone(rows);
}

const LABELS = { pending: "waiting for the owner", approved: "approved", declined: "declined", expired: "expired" };

/** One line saying where the requests asked from `key` stand. */
export function footageStatus(key) {
  const rows = asked.get(key) || [];
  if (!rows.length) return "";
  const counts = {};
  rows.forEach((row) => { counts[row.status] = (counts[row.status] || 0) + 1; });
  return "Footage: " + Object.entries(counts).map(([status, n]) => n + " " + (LABELS[status] || status)).join(", ");
}

/** Call `redraw(text)` whenever the status of the requests asked from `key` changes; one per `place`. */
export function watchFootage(key, redraw, place = "") {
  if (!watchers.has(key)) watchers.set(key, new Map());
  watchers.get(key).set(place, redraw);
}

function show(key) {
  const text = footageStatus(key);
  (watchers.get(key) || new Map()).forEach((redraw) => redraw(text));
}

async function poll() {
  for (const [key, rows] of asked) {
    let changed = false;
    for (const row of rows.filter((entry) => entry.status === "pending")) {
      const response = await api("GET", "/api/v1/footage-requests/" + row.id + "/").catch(() => null);
      if (response && response.ok && response.data.status !== row.status) { row.status = response.data.status; changed = true; }
    }
    if (changed) { keep(); show(key); }
  }
}

export function initFootage() {
  try {
    JSON.parse(sessionStorage.getItem(ASKED_KEY) || "[]").forEach(([key, rows]) => asked.set(String(key), rows));
  } catch (e) { /* a broken entry is replaced on the next request */ }
  $("footage-form").addEventListener("submit", submitted);
  setInterval(poll, POLL_MS);
}

/** A small "Ask for footage" button and its status line, for a card or a tile. */
export function footageControls(key, cameraIds, window) {
  const status = el("span", { className: "footage-status", text: footageStatus(key), role: "status" });
  const button = el("button", { type: "button", className: "ask-footage secondary", text: "Request footage" });
  button.addEventListener("click", () => askFootage(key, cameraIds, window()));
  watchFootage(key, (text) => { status.textContent = text; });
  return [button, status];
}

const NEAR_M = 250; // private cameras this close to an incident may have seen it

function metresBetween(a, b) {
  const x = (b.lon - a.lon) * Math.cos(((a.lat + b.lat) / 2) * Math.PI / 180);
  return Math.hypot(x, b.lat - a.lat) * 111320;
}

/** The incident's cameras whose owners can be asked: docked private ones, and on-request or
 * registry ones nearby (they are never docked, since they are not live). */
export function askableNear(incident) {
  const ids = incident.cameras.map((entry) => entry.id).filter((id) => askable(state.cameras.get(id)));
  state.cameras.forEach((camera) => {
    if (askable(camera) && !ids.includes(camera.id) && camera.lat != null && metresBetween(incident, camera) <= NEAR_M) ids.push(camera.id);
  });
  return ids.slice(0, 50);
}
