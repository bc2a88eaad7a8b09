/* How the wall speaks of a camera's state, the same in the list, on the map and on tiles. */

// A camera the wall does not subscribe to is known only by its search row, which does not say
// whether it may play: its colour and text follow its status alone.
const unsubscribed = (camera) => camera.live === undefined;

/** live | warn | offline | registry: the colour of the camera in the list and on the map. */
export function cameraColour(camera) {
  if (unsubscribed(camera)) return camera.status === "live" ? "live" : "registry";
  if (!camera.live) return "registry";
  if (camera.status === "live") return "live";
  if (camera.status === "starting" || camera.status === "stalled" || camera.status === "backoff") return "warn";
  return "offline";
}

export function cameraStatusText(camera) {
  if (unsubscribed(camera)) return camera.status;
  const status = camera.live ? camera.status : "not shared live";
  const health = sourceHealthText(camera.source_health);
  return health ? status + " · " + health : status;
}

// The box's latest report on the camera's source: its bitrate, or its last error. Text only:
// a box writes it.
export function sourceHealthText(health) {
  if (!health) return "";
  if (health.last_error) return "source: " + health.last_error;
  if (typeof health.bitrate_kbps === "number") return Math.round(health.bitrate_kbps) + " kbit/s at the box";
  return "";
}

export function statusTitle(status) {
  return {
    offline: "Offline", starting: "Starting…", stalled: "Stalled", backoff: "Reconnecting…",
    stopped: "Stopped", error: "Error", idle: "Idle until opened", no_capacity: "No relay capacity",
  }[status] || status;
}
