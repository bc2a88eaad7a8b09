/* The map (Leaflet): cameras coloured by state, open incidents as red rings.
 *
 * Leaflet writes a string tooltip as innerHTML, so every tooltip here is a DOM node whose
 * text is set with textContent: a camera named `<img onerror=…>` shows as those characters.
 */

import { offlineBasemap } from "./basemap.js";
import { cameraColour, cameraStatusText } from "./cameras.js";
import { el } from "./dom.js";
import { config, state } from "./state.js";

const COLOURS = { live: "#3ecf8e", warn: "#f5b942", offline: "#ff6b6b", registry: "#8b98a5" };
let map = null;
let pick = () => {};
const cameraMarkers = new Map(); // camera id -> {marker, label}
const incidentMarkers = new Map(); // incident id -> {marker, label}

/** A marker's tooltip as a text node holder, bound once and then only re-labelled. */
function labelled(marker, text) {
  const label = el("span", { text });
  marker.bindTooltip(label);
  return label;
}

function tag(marker, className, data) {
  const element = marker.getElement && marker.getElement();
  if (!element) return;
  element.classList.add(className);
  Object.entries(data).forEach(([key, value]) => { element.dataset[key] = String(value); });
}

/** `onPick(cameraId)`: a click on a camera's marker. */
export function initMap(onPick) {
  const L = window.L;
  if (!L) return;
  pick = onPick;
  map = L.map("map", { zoomControl: true, attributionControl: true }).setView(config.centre, 14);
  // With no tile server reachable the tiles fail: the plain basemap is drawn under them instead.
  const tiles = L.tileLayer(config.tileUrl, { maxZoom: 19, zIndex: 1, attribution: "© OpenStreetMap contributors" });
  tiles.on("tileerror", goOffline);
  tiles.addTo(map);
}

let offline = false;

function goOffline() {
  if (offline || !map) return;
  offline = true;
  offlineBasemap(window.L).addTo(map);
  const notice = window.L.control({ position: "topright" });
  notice.onAdd = () => el("p", { className: "map-offline", text: "Map tiles unreachable: a plain grid" });
  notice.addTo(map);
}

/** The map's container changed size (panel collapsed, map moved to a tile or the screen). */
export function resizeMap() {
  // After the browser has laid the page out again: Leaflet measures its container.
  if (map) requestAnimationFrame(() => map.invalidateSize());
}

export function renderCameraMarkers() {
  if (!map) return;
  state.cameras.forEach((camera) => {
    const colour = COLOURS[cameraColour(camera)];
    const text = camera.name + " · " + cameraStatusText(camera);
    let entry = cameraMarkers.get(camera.id);
    if (!entry) {
      const marker = window.L.circleMarker([camera.lat, camera.lon], { radius: 7, weight: 2 }).addTo(map);
      marker.on("click", () => pick(camera.id));
      entry = { marker, label: labelled(marker, text) };
      cameraMarkers.set(camera.id, entry);
    }
    entry.marker.setLatLng([camera.lat, camera.lon]);
    entry.marker.setStyle({ color: colour, fillColor: colour, fillOpacity: 0.8 });
    entry.label.textContent = text;
    tag(entry.marker, "camera-marker", { cameraId: camera.id, kind: cameraColour(camera) });
  });
  cameraMarkers.forEach((entry, id) => {
    if (!state.cameras.has(id)) { entry.marker.remove(); cameraMarkers.delete(id); }
  });
}

/** One ring per open incident, its tooltip `labelOf(incident)`. */
export function renderIncidentMarkers(labelOf) {
  if (!map) return;
  state.incidents.forEach((incident) => {
    let entry = incidentMarkers.get(incident.id);
    if (!entry) {
      const marker = window.L.circleMarker([incident.lat, incident.lon], {
        radius: 11, color: "#ff3b3b", weight: 3, fill: false,
      }).addTo(map);
      entry = { marker, label: labelled(marker, "") };
      incidentMarkers.set(incident.id, entry);
    }
    entry.label.textContent = labelOf(incident);
    tag(entry.marker, "incident-marker", { incidentId: incident.id });
  });
  incidentMarkers.forEach((entry, id) => {
    if (!state.incidents.has(id)) { entry.marker.remove(); incidentMarkers.delete(id); }
  });
}

export function centreOn(lat, lon) {
  if (map) map.setView([lat, lon], 16);
}
