/* The page's requests: JSON with the CSRF token, and the live-view endpoints. */

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** {status, ok, data}; rejects when the network fails or `signal` aborts the request. */
export async function api(method, url, body, signal) {
  const response = await fetch(url, {
    method,
    signal,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { status: response.status, ok: response.ok, data };
}

/** The server's reason for a refusal, as one line of text. */
export function reasonOf(data, fallback) {
  if (!data) return fallback;
  if (data.detail) return String(data.detail);
  const first = Object.values(data.errors || data)[0];
  return Array.isArray(first) ? first.join(" ") : String(first || fallback);
}

const liveUrl = (cameraId) => "/api/v1/cameras/" + cameraId + "/live/";

/** Open a live view (audited, purpose-bound): {hls_url, expires_at, session, stream}. `stream`
 * "sub": the view holds only the camera's substream (a grid tile), so an on-demand camera relays
 * nothing else; the socket demands the main stream itself when the tile is enlarged. */
export function openLive(cameraId, purpose, signal, stream = "main") {
  return api("POST", liveUrl(cameraId), { ...purpose, stream }, signal);
}

/** A fresh link for the view `hlsUrl` belongs to: no new view, no new audit line. */
export function renewLive(cameraId, hlsUrl, signal, stream = "main") {
  return api("POST", liveUrl(cameraId) + "renew/", { hls_url: hlsUrl, stream }, signal);
}

/** End the caller's viewing sessions on the camera. */
export function closeLive(cameraId) {
  return api("DELETE", liveUrl(cameraId)).catch(() => null);
}
