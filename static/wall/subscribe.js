/* What the wall subscribes to: the cameras on its tiles and the map's viewport, never every camera.
 *
 * The hub answers each subscription with a state holding those cameras, the open incidents
 * and the cameras they dock, the pushed layout's cameras and the viewport's clusters, then
 * sends events for those cameras only (cameras/wall/subscription.py). A tile change is sent
 * at once; map moves are sent once the map has stopped for a moment.
 */

import { viewport } from "./map.js";
import { state } from "./state.js";

const MAP_SETTLE_MS = 250;
let send = () => false;
let lastSent = "";
let timer = null;

function subscription() {
  const cameras = [...new Set(state.tiles.filter(Boolean))];
  const view = viewport();
  return view ? { cameras, bbox: view.bbox, zoom: view.zoom } : { cameras };
}

/** The subscription as the socket's query string, for a (re)connect. */
export function subscriptionQuery() {
  const wanted = subscription();
  lastSent = JSON.stringify(wanted);
  // `cameras=` even when empty: a wall that asks nothing would be sent every camera.
  const parts = ["cameras=" + wanted.cameras.join(",")];
  if (wanted.bbox) parts.push("bbox=" + wanted.bbox.join(","), "zoom=" + wanted.zoom);
  return "?" + parts.join("&");
}

function subscribeNow() {
  clearTimeout(timer);
  timer = null;
  const wanted = subscription();
  const text = JSON.stringify(wanted);
  if (text === lastSent) return; // the same tiles and viewport: nothing new to ask
  if (send({ type: "subscribe", ...wanted })) lastSent = text;
}

/** A state arrived: anything changed while the socket was connecting is asked for now. */
export function stateArrived() {
  subscribeNow();
}

/** The tiles changed: ask for their cameras now. */
export function tilesChanged() {
  subscribeNow();
}

/** The map moved or zoomed: ask for its new viewport once it has settled. */
export function mapMoved() {
  clearTimeout(timer);
  timer = setTimeout(subscribeNow, MAP_SETTLE_MS);
}

/** `sendMessage(message)`: the wall socket's sender. */
export function initSubscription(sendMessage) {
  send = sendMessage;
}
