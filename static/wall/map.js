/* The map (Leaflet): the viewport's cameras coloured by state, its clusters as counts, open
 * incidents as red rings. What the viewport holds is clustered on the server (cameras/map.py)
 * and arrives with the wall's subscription: the map never holds every camera.
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
let clusterMarkers = [];
// A click on a cluster zooms in this far, where it splits into smaller ones or its cameras.
const CLUSTER_ZOOM_STEP = 2;

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

/** `onPick(cameraId)`: a click on a camera's marker; `onMoved()`: the map stopped moving or zooming. */
export function initMap(onPick, onMoved) {
  const L = window.L;
  if (!L) return;
  pick = onPick;
  map = L.map("map", { zoomControl: true, attributionControl: true }).setView(config.centre, 14);
  // With no tile server reachable the tiles fail: the plain basemap is drawn under them instead.
  const tiles = L.tileLayer(config.tileUrl, { maxZoom: 19, zIndex: 1, attribution: "© OpenStreetMap contributors" });
  tiles.on("tileerror", goOffline);
  tiles.addTo(map);
  map.on("moveend", onMoved);
}

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** What the map shows: {bbox: [south, west, north, east], zoom}, or null without a map. */
export function viewport() {
  if (!map) return null;
  const bounds = map.getBounds();
  // Leaflet's bounds run past the poles and the 180th meridian when zoomed out; the hub's box does not.
  const round = (value) => Math.round(value * 1e6) / 1e6;
  return {
    bbox: [
      round(clamp(bounds.getSouth(), -90, 90)), round(clamp(bounds.getWest(), -180, 180)),
      round(clamp(bounds.getNorth(), -90, 90)), round(clamp(bounds.getEast(), -180, 180)),
    ],
    zoom: Math.round(map.getZoom()),
  };
}

/** The map's centre [lat, lon]: the camera list shows the nearest cameras first. */
export function mapCentre() {
  if (!map) return config.centre;
  const centre = map.getCenter();
  return [clamp(centre.lat, -90, 90), clamp(centre.lng, -180, 180)];
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

/** One camera's marker, made, moved, recoloured and re-labelled; gone once the wall no longer knows it. */
export function renderCameraMarker(cameraId) {
  if (!map) return;
  const camera = state.cameras.get(cameraId);
  let entry = cameraMarkers.get(cameraId);
  if (!camera) {
    if (entry) { entry.marker.remove(); cameraMarkers.delete(cameraId); }
    return;
  }
  const colour = COLOURS[cameraColour(camera)];
  const text = camera.name + " · " + cameraStatusText(camera);
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
}

/** Every known camera's marker (after a new state); markers of cameras no longer known go. */
export function renderCameraMarkers() {
  if (!map) return;
  state.cameras.forEach((camera) => renderCameraMarker(camera.id));
  [...cameraMarkers.keys()].forEach((id) => { if (!state.cameras.has(id)) renderCameraMarker(id); });
}

/** The viewport's clusters, each a count; a click zooms in on it. */
export function renderClusters() {
  if (!map) return;
  clusterMarkers.forEach((marker) => marker.remove());
  clusterMarkers = state.clusters.map((cluster) => {
    const icon = window.L.divIcon({
      className: "cluster-marker",
      html: el("span", { text: String(cluster.count) }),
      iconSize: [34, 34],
    });
    const marker = window.L.marker([cluster.lat, cluster.lon], { icon, title: cluster.count + " cameras" }).addTo(map);
    marker.on("click", () => map.setView([cluster.lat, cluster.lon], Math.min(map.getZoom() + CLUSTER_ZOOM_STEP, 19)));
    tag(marker, "cluster-marker", { count: cluster.count });
    return marker;
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
