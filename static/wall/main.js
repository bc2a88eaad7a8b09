/* The dispatchers' video wall: wires the modules together and applies the server's events.
 *
 * One module per concern: state.js (what the wall knows), tile.js and player.js (a tile and
 * its hls.js player), grid.js (tiles, focus, keyboard), purpose.js (the purpose prompt),
 * list.js, map.js, incidents.js, layouts.js, socket.js; dom.js and http.js underneath.
 */

import { initGrid, placeCamera, renderCamera, renderTiles, tiles } from "./grid.js";
import { renderIncidents } from "./incidents.js";
import { applyPushed, initLayouts } from "./layouts.js";
import { initList, renderList } from "./list.js";
import { centreOn, initMap, renderCameraMarkers } from "./map.js";
import { initPurpose } from "./purpose.js";
import { connectWall, setConnection } from "./socket.js";
import { forgetIncidentPurposes, loadLocal, setPurpose, state } from "./state.js";

function cameraChanged(cameraId) {
  renderCamera(cameraId);
  renderList();
  renderCameraMarkers();
}

const handlers = {
  state(event) {
    state.clockOffset = Date.parse(event.server_time) - Date.now();
    state.cameras = new Map(event.cameras.map((camera) => [camera.id, camera]));
    state.incidents = new Map(event.incidents.map((incident) => [incident.id, incident]));
    state.connected = true;
    setConnection("live", "Connected · " + event.cameras.length + " cameras");
    applyPushed(event.pushed);
    renderIncidents();
    renderTiles();
    renderList();
    renderCameraMarkers();
  },
  "camera.status"(event) {
    const camera = state.cameras.get(event.camera_id);
    if (!camera) return;
    Object.assign(camera, {
      status: event.status,
      status_reason: event.status_reason || "",
      last_frame_at: event.last_frame_at || camera.last_frame_at,
      snapshot_version: event.snapshot_version ?? camera.snapshot_version,
    });
    cameraChanged(camera.id);
  },
  "camera.snapshot"(event) {
    const camera = state.cameras.get(event.camera_id);
    if (!camera) return;
    camera.snapshot_version = event.snapshot_version;
    if (event.last_frame_at) camera.last_frame_at = event.last_frame_at;
    cameraChanged(camera.id);
  },
  "camera.update"(event) {
    state.cameras.set(event.camera.id, event.camera);
    if (!event.camera.live) setPurpose(event.camera.id, null);
    cameraChanged(event.camera.id);
  },
  "camera.removed"(event) {
    state.cameras.delete(event.camera_id);
    setPurpose(event.camera_id, null);
    cameraChanged(event.camera_id);
  },
  "incident.opened"(event) {
    state.incidents.set(event.incident.id, event.incident);
    renderIncidents();
    // The most urgent calls take the map to them, as dispatchers expect.
    if (event.incident.priority <= 2) centreOn(event.incident.lat, event.incident.lon);
  },
  "incident.closed"(event) {
    state.incidents.delete(event.incident.id);
    renderIncidents();
    // Sessions opened for the incident ended on the server: ask again for those cameras.
    const ended = forgetIncidentPurposes(event.incident.id);
    tiles.forEach((tile) => {
      if (tile.incident === event.incident.id) tile.incident = null;
      if (ended.has(tile.cameraId)) {
        tile.stop();
        tile.purposeDeclined = false;
        tile.render();
      }
    });
  },
  "layout.pushed"(event) { applyPushed(event.layout); },
};

loadLocal();
initMap(placeCamera);
initList(placeCamera);
initPurpose();
initGrid();
initLayouts();
connectWall(
  (event) => { if (Object.hasOwn(handlers, event.type)) handlers[event.type](event); },
  () => { state.connected = false; },
);

// For tests and operators: the tiles and their players' latency, read-only.
window.rtccWall = {
  state,
  tiles,
  latency() {
    return tiles.filter((tile) => tile.player && tile.player.playingDate).map((tile) => ({
      camera: tile.cameraId,
      playingDateLag: (Date.now() - tile.player.playingDate.getTime()) / 1000,
      hlsLatency: tile.player.latency,
    }));
  },
};
