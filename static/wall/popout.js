/* One tile of the wall in a window of its own (a tile popped out to another monitor).
 *
 * The camera arrives over the wall's socket only if the user may see it; the tile opens its
 * own view under the wall's working purpose (the server keeps it for the sign-in), so every
 * look from this window is a viewing session with its purpose, as on the wall. Closing the
 * tile closes the window; the wall's own tile is left as it was.
 */

import { initFootage } from "./footage.js";
import { initPlayback } from "./playback.js";
import { incidentClosed, initPurpose } from "./purpose.js";
import { connectWall, setConnection } from "./socket.js";
import { config, state } from "./state.js";
import { Tile } from "./tile.js";

state.grid = 1;
state.tiles = [config.tileCamera];
state.focus = 0;

const tile = new Tile(0, { focus() {}, enlarge() {}, put: () => window.close() });
document.getElementById("grid").appendChild(tile.el);

function changed(cameraId, camera) {
  if (camera) state.cameras.set(cameraId, camera);
  else state.cameras.delete(cameraId);
  if (cameraId === config.tileCamera) tile.render();
}

const handlers = {
  state(event) {
    state.clockOffset = Date.parse(event.server_time) - Date.now();
    state.cameras = new Map(event.cameras.map((camera) => [camera.id, camera]));
    setConnection("live", "Connected");
    tile.render();
  },
  "camera.status"(event) {
    const camera = state.cameras.get(event.camera_id);
    if (camera) changed(camera.id, { ...camera, status: event.status, status_reason: event.status_reason || "", last_frame_at: event.last_frame_at || camera.last_frame_at });
  },
  "camera.update"(event) { changed(event.camera.id, event.camera); },
  "camera.removed"(event) { changed(event.camera_id, null); },
  "incident.closed"(event) { incidentClosed(event.incident.id); },
};

initPurpose(() => { tile.stop(); tile.render(); });
initFootage();
initPlayback();
document.title = "Tile · camera " + config.tileCamera;
// The window subscribes to its one camera: the hub sends it that camera's state and events only.
connectWall(
  (event) => { if (Object.hasOwn(handlers, event.type)) handlers[event.type](event); },
  () => {},
  () => "?cameras=" + encodeURIComponent(config.tileCamera),
);
window.rtccTile = { state, tile };
