/* The dispatchers' video wall: wires the modules together and applies the server's events.
 *
 * One module per concern: state.js (what the wall knows), tile.js and player.js (a tile and
 * its hls.js player), grid.js (tiles, selection, the grid's keys), purpose.js (the wall's
 * working purpose), list.js, map.js and basemap.js, incidents.js and alert.js, layouts.js,
 * view.js (the side panel and where the map is), shortcuts.js, socket.js and subscribe.js
 * (what the wall asks the hub for: its tiles and the map's viewport); dom.js and http.js
 * underneath. An event redraws only the tile, list item and marker of the camera it names.
 */

import { initAlert, sounds } from "./alert.js";
import { initGrid, placeCamera, putOnSelected, renderCamera, renderTiles, tiles } from "./grid.js";
import { closeLive } from "./http.js";
import { liveStats } from "./live_socket.js";
import { incidentArrived, initIncidents, renderIncidents } from "./incidents.js";
import { initFootage } from "./footage.js";
import { applyPushed, initLayouts } from "./layouts.js";
import { dropListCamera, initList, renderList, renderListCamera, searchSoon } from "./list.js";
import { centreOn, initMap, renderCameraMarker, renderCameraMarkers, renderClusters, viewport } from "./map.js";
import { initPlayback, playback } from "./playback.js";
import { incidentClosed, initPurpose } from "./purpose.js";
import { initShortcuts } from "./shortcuts.js";
import { connectWall, setConnection } from "./socket.js";
import { loadLocal, onTilesChanged, state } from "./state.js";
import { initSubscription, mapMoved, stateArrived, subscriptionQuery, tilesChanged } from "./subscribe.js";
import { initView } from "./view.js";

function cameraChanged(cameraId) {
  renderCamera(cameraId);
  renderListCamera(cameraId);
  renderCameraMarker(cameraId);
}

// What a status or snapshot event changes in the camera it names; false for a camera not known.
const applyCamera = {
  "camera.status"(event) {
    const camera = state.cameras.get(event.camera_id);
    if (!camera) return false;
    Object.assign(camera, {
      status: event.status,
      status_reason: event.status_reason || "",
      last_frame_at: event.last_frame_at || camera.last_frame_at,
      snapshot_version: event.snapshot_version ?? camera.snapshot_version,
    });
    return true;
  },
  "camera.snapshot"(event) {
    const camera = state.cameras.get(event.camera_id);
    if (!camera) return false;
    camera.snapshot_version = event.snapshot_version;
    if (event.last_frame_at) camera.last_frame_at = event.last_frame_at;
    return true;
  },
};

const handlers = {
  // On connect and on every new subscription: what the wall shows, and nothing else.
  state(event) {
    state.clockOffset = Date.parse(event.server_time) - Date.now();
    state.cameras = new Map(event.cameras.map((camera) => [camera.id, camera]));
    state.incidents = new Map(event.incidents.map((incident) => [incident.id, incident]));
    state.clusters = (event.map && event.map.clusters) || [];
    state.inView = event.map ? event.map.total : event.cameras.length;
    state.connected = true;
    setConnection("live", "Connected · " + state.inView + " cameras in view");
    applyPushed(event.pushed);
    renderIncidents();
    renderTiles();
    renderList();
    renderCameraMarkers();
    renderClusters();
    stateArrived();
  },
  "camera.status"(event) {
    if (applyCamera[event.type](event)) cameraChanged(event.camera_id);
  },
  "camera.snapshot"(event) {
    if (applyCamera[event.type](event)) cameraChanged(event.camera_id);
  },
  // One relay pass: the tiles it touched are redrawn each once, the list and the map once.
  "cameras.batch"(event) {
    const changed = new Set();
    for (const one of event.events || []) {
      if (Object.hasOwn(applyCamera, one.type) && applyCamera[one.type](one)) changed.add(one.camera_id);
    }
    changed.forEach(cameraChanged);
  },
  // A re-grant brings the camera back live: its tile opens under the wall's purpose, no prompt.
  "camera.update"(event) {
    state.cameras.set(event.camera.id, event.camera);
    cameraChanged(event.camera.id);
  },
  "camera.removed"(event) {
    state.cameras.delete(event.camera_id);
    dropListCamera(event.camera_id);
    cameraChanged(event.camera_id);
  },
  "incident.opened"(event) {
    incidentArrived(event.incident);
    // The most urgent calls take the map to them, as dispatchers expect.
    if (event.incident.priority <= 2) centreOn(event.incident.lat, event.incident.lon);
  },
  "incident.updated"(event) {
    if (!state.incidents.has(event.incident.id)) return;
    state.incidents.set(event.incident.id, event.incident);
    renderIncidents();
  },
  "incident.dismissed"(event) {
    state.incidents.delete(event.incident.id);
    renderIncidents();
  },
  "incident.closed"(event) {
    state.incidents.delete(event.incident.id);
    renderIncidents();
    tiles.forEach((tile) => { if (tile.incident === event.incident.id) tile.incident = null; });
    // Viewing opened for the incident ended on the server; a purpose that named it ends too.
    incidentClosed(event.incident.id);
  },
  "layout.pushed"(event) { applyPushed(event.layout); },
};

/** The working purpose changed: private tiles end their views and open again under the new one. */
async function purposeChanged() {
  const reopen = tiles.filter((tile) => tile.camera && tile.camera.kind !== "public" && (tile.player || tile.starting));
  reopen.forEach((tile) => tile.stop());
  await Promise.all(reopen.map((tile) => closeLive(tile.cameraId)));
  renderTiles();
}

loadLocal();
initMap(placeCamera, () => { mapMoved(); searchSoon(); });
onTilesChanged(tilesChanged);
initList(placeCamera, putOnSelected);
initPurpose(purposeChanged);
initAlert();
initIncidents();
initShortcuts();
initGrid();
initView();
initLayouts();
initFootage();
initPlayback();
initSubscription(connectWall(
  (event) => { if (Object.hasOwn(handlers, event.type)) handlers[event.type](event); },
  () => { state.connected = false; },
  subscriptionQuery,
));

// For tests and operators: the tiles and their players' latency, read-only.
window.rtccWall = {
  state,
  tiles,
  sounds,
  playback,
  viewport,
  liveStats,
  latency() {
    return tiles.filter((tile) => tile.player && tile.player.playingDate).map((tile) => ({
      camera: tile.cameraId,
      playingDateLag: (Date.now() - tile.player.playingDate.getTime()) / 1000,
      hlsLatency: tile.player.latency,
    }));
  },
};
