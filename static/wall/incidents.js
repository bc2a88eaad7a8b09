/* Incidents from CAD: cards a dispatcher works (most urgent first, oldest first within a
 * priority), their age ticking, acknowledge and dismiss, a P1 alert, and a ring on the map. */

import { soundAlert } from "./alert.js";
import { $, el } from "./dom.js";
import { askableNear, footageControls, widened } from "./footage.js";
import { arrange, tiles } from "./grid.js";
import { api, reasonOf } from "./http.js";
import { centreOn, renderIncidentMarkers } from "./map.js";
import { GRIDS, localTime, state } from "./state.js";

let undo = null; // the wall as it was before the last "Show on wall": {grid, tiles}
// Cards are kept by incident and rebuilt only when their incident changed: a new card slides
// in once, and the one a dispatcher works on keeps the keyboard focus.
const cards = new Map(); // incident id -> {signature, node}

export function incidentTitle(incident) {
  return "P" + incident.priority + " " + incident.kind;
}

/** Most urgent first; within a priority, the one waiting longest. */
export function incidentOrder(a, b) {
  return a.priority - b.priority || Date.parse(a.opened_at) - Date.parse(b.opened_at) || a.id - b.id;
}

function age(incident) {
  const seconds = Math.max(0, Math.round((Date.now() - localTime(incident.opened_at)) / 1000));
  if (seconds < 60) return seconds + " s";
  if (seconds < 3600) return Math.floor(seconds / 60) + " min " + String(seconds % 60).padStart(2, "0") + " s";
  return Math.floor(seconds / 3600) + " h " + String(Math.floor(seconds / 60) % 60).padStart(2, "0") + " min";
}

function alerting(incident) {
  return incident.priority === 1 && !incident.acknowledged_at;
}

function dockedItem(incident, entry) {
  const camera = state.cameras.get(entry.id);
  const name = camera ? camera.name : "Camera " + entry.id;
  const button = el("button", {
    type: "button", text: name + " · " + Math.round(entry.distance_m) + " m",
    title: "Put on the selected tile",
  });
  button.addEventListener("click", () => putDocked(incident, entry.id));
  return el("li", { data: { cameraId: entry.id } }, [button]);
}

function workButton(incident, change, label) {
  const button = el("button", { type: "button", className: change, text: label });
  button.addEventListener("click", () => work(incident, change, button));
  return button;
}

function card(incident) {
  const docked = incident.cameras.map((entry) => dockedItem(incident, entry));
  if (!docked.length) docked.push(el("li", { className: "muted", text: "No live camera within range." }));
  const show = el("button", {
    type: "button", className: "show-all", text: "Show on wall", disabled: !incident.cameras.length,
    title: incident.cameras.length ? "Put its cameras on free tiles" : "No camera to show",
  });
  show.addEventListener("click", () => showIncident(incident));
  const acknowledged = incident.acknowledged_at
    ? el("span", { className: "acknowledged", text: "Acknowledged by " + (incident.acknowledged_by || "a colleague") })
    : workButton(incident, "acknowledge", "Acknowledge");
  const title = incidentTitle(incident);
  return el("article", {
    className: "incident" + (alerting(incident) ? " alerting" : ""),
    ariaLabel: title,
    data: { incidentId: incident.id, priority: incident.priority },
  }, [
    el("h3", {}, [el("span", { className: "priority", text: "P" + incident.priority }), " " + incident.kind]),
    el("p", { className: "where", text: [incident.address, "CAD " + incident.external_id].filter(Boolean).join(" · ") }),
    el("p", { className: "since" }, ["Open for ", el("time", { className: "age", dateTime: incident.opened_at, text: age(incident) })]),
    el("ul", { className: "docked", ariaLabel: "Nearest cameras" }, docked),
    el("div", { className: "actions" }, [show, acknowledged, workButton(incident, "dismiss", "Dismiss")]),
    ...footageOf(incident),
  ]);
}

/** "Request footage" from the owners of its private cameras, from 15 minutes before the call. */
function footageOf(incident) {
  const ids = askableNear(incident);
  if (!ids.length) return [];
  const window = () => widened(localTime(incident.opened_at) - 15 * 60000, Date.now());
  return [el("div", { className: "footage" }, footageControls("incident-" + incident.id, ids, window))];
}

function cardFor(incident) {
  const signature = JSON.stringify(incident) + "|" + incident.cameras.map((entry) => {
    const camera = state.cameras.get(entry.id);
    return camera ? camera.name : "";
  }).join("|");
  const kept = cards.get(incident.id);
  if (kept && kept.signature === signature) return kept.node;
  const node = card(incident);
  if (!kept) {
    // Once: a card moved later in the strip must not slide in again.
    node.classList.add("arriving");
    node.addEventListener("animationend", () => node.classList.remove("arriving"), { once: true });
  }
  else if (kept.node.contains(document.activeElement)) {
    // The worked button is gone (acknowledged): the keyboard stays on the same card.
    queueMicrotask(() => { const next = node.querySelector("button:not(:disabled)"); if (next) next.focus(); });
  }
  cards.set(incident.id, { signature, node });
  return node;
}

export function renderIncidents() {
  const ordered = [...state.incidents.values()].sort(incidentOrder);
  cards.forEach((entry, id) => { if (!state.incidents.has(id)) cards.delete(id); });
  const strip = $("incidents");
  const nodes = ordered.map(cardFor);
  // Moved in place (not replaced) so that a kept card keeps its scroll and focus.
  nodes.forEach((node, index) => { if (strip.children[index] !== node) strip.insertBefore(node, strip.children[index] || null); });
  while (strip.children.length > nodes.length) strip.lastChild.remove();
  $("incident-strip").hidden = !ordered.length;
  $("incident-count").textContent = ordered.length + (ordered.length === 1 ? " incident" : " incidents");
  renderIncidentMarkers(incidentTitle);
}

function tickAges() {
  document.querySelectorAll("#incidents .incident").forEach((node) => {
    const incident = state.incidents.get(Number(node.dataset.incidentId));
    if (incident) node.querySelector(".age").textContent = age(incident);
  });
}

/** A new call from CAD: a P1 that nobody has acknowledged yet sounds. */
export function incidentArrived(incident) {
  state.incidents.set(incident.id, incident);
  renderIncidents();
  if (alerting(incident)) soundAlert();
}

async function work(incident, change, button) {
  button.disabled = true;
  const response = await api("POST", "/api/v1/incidents/" + incident.id + "/" + change + "/").catch(() => null);
  if (!response || !response.ok) {
    button.disabled = false;
    notice(reasonOf(response && response.data, "Not done; try again."), null);
    return;
  }
  // The wall's socket brings the change to every wall; this one applies it at once.
  if (change === "dismiss") state.incidents.delete(incident.id);
  else Object.assign(state.incidents.get(incident.id) || {}, {
    acknowledged_at: response.data.acknowledged_at, acknowledged_by: response.data.acknowledged_by,
  });
  renderIncidents();
}

function notice(text, onUndo) {
  const undoButton = $("wall-undo");
  $("wall-notice-text").textContent = text;
  $("wall-notice").hidden = !text;
  undoButton.hidden = !onUndo;
  undoButton.onclick = onUndo;
}

function remember() {
  undo = { grid: state.grid, tiles: state.tiles.slice() };
}

function undoShow() {
  if (!undo) return;
  const before = undo;
  undo = null;
  arrange(before.grid, before.tiles);
  notice("The wall is back as it was.", null);
}

/** One docked camera onto the selected tile (undoable like "Show on wall"). */
function putDocked(incident, cameraId) {
  remember();
  const next = state.tiles.slice();
  next[state.focus] = cameraId;
  tiles[state.focus].incident = incident.id;
  arrange(state.grid, next);
  notice("Put a camera of " + incidentTitle(incident) + " on the wall.", undoShow);
}

/** Put the incident's cameras on free tiles (a larger grid when they do not fit), keeping the
 * rest of the wall; the map centres on the incident. Undo puts the wall back. */
export function showIncident(incident) {
  const missing = incident.cameras.map((entry) => entry.id).filter((id) => !state.tiles.includes(id));
  remember();
  const shown = state.tiles.filter(Boolean).length;
  let size = state.grid;
  if (state.tiles.filter((id) => id === null).length < missing.length) {
    size = GRIDS.find((grid) => grid * grid >= shown + missing.length) || GRIDS[GRIDS.length - 1];
  }
  // A larger grid keeps the cameras shown, packed in their order, then free tiles.
  const next = size === state.grid ? state.tiles.slice() : state.tiles.filter(Boolean);
  while (next.length < size * size) next.push(null);
  missing.forEach((id) => {
    const free = next.indexOf(null);
    if (free >= 0) next[free] = id;
  });
  arrange(size, next);
  const ids = new Set(incident.cameras.map((entry) => entry.id));
  tiles.forEach((tile) => { if (ids.has(state.tiles[tile.index])) tile.incident = incident.id; });
  centreOn(incident.lat, incident.lon);
  notice(
    missing.length ? "Put " + missing.length + " camera" + (missing.length === 1 ? "" : "s") + " of " + incidentTitle(incident) + " on the wall."
      : "Every camera of " + incidentTitle(incident) + " was on the wall already.",
    missing.length ? undoShow : null,
  );
}

export function initIncidents() {
  setInterval(tickAges, 1000);
  $("wall-notice-close").addEventListener("click", () => notice("", null));
}
