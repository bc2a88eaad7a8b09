/* Incidents from CAD: a card per open incident with its docked cameras, and a ring on the map. */

import { $, el } from "./dom.js";
import { placeCamera, setGrid, tiles } from "./grid.js";
import { centreOn, renderIncidentMarkers } from "./map.js";
import { GRIDS, state } from "./state.js";

export function incidentTitle(incident) {
  return "P" + incident.priority + " " + incident.kind;
}

function dockedItem(incident, entry) {
  const camera = state.cameras.get(entry.id);
  const name = camera ? camera.name : "Camera " + entry.id;
  const button = el("button", { type: "button", text: name + " · " + Math.round(entry.distance_m) + " m" });
  button.addEventListener("click", () => placeCamera(entry.id, incident.id));
  return el("li", { data: { cameraId: entry.id } }, [button]);
}

function card(incident) {
  const docked = incident.cameras.map((entry) => dockedItem(incident, entry));
  if (!docked.length) docked.push(el("li", { className: "muted", text: "No live camera within range." }));
  const show = el("button", {
    type: "button", className: "show-all", text: "Show on wall", disabled: !incident.cameras.length,
  });
  show.addEventListener("click", () => showIncident(incident));
  return el("article", { className: "incident", data: { incidentId: incident.id, priority: incident.priority } }, [
    el("h3", { text: incidentTitle(incident) }),
    el("p", { text: (incident.address || "") + " · CAD " + incident.external_id }),
    el("ul", { className: "docked" }, docked),
    show,
  ]);
}

export function renderIncidents() {
  $("incidents").replaceChildren(...[...state.incidents.values()].map(card));
  renderIncidentMarkers(incidentTitle);
}

/** Put the incident's docked cameras on a grid that fits them, and centre the map on it. */
export function showIncident(incident) {
  const ids = incident.cameras.map((entry) => entry.id);
  const size = GRIDS.find((grid) => grid * grid >= ids.length) || GRIDS[GRIDS.length - 1];
  setGrid(size, ids);
  tiles.forEach((tile) => { tile.incident = incident.id; });
  centreOn(incident.lat, incident.lon);
}
