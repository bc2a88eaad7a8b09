/* The wall's WebSocket: connects, reconnects with backoff, and hands each event on. */

import { $ } from "./dom.js";

export function setConnection(kind, text) {
  const conn = $("conn");
  conn.dataset.state = kind;
  conn.textContent = text;
}

/** Connect to /ws/wall/ and call `onEvent(event)` for every message; `onLost()` when it drops.
 *
 * `query()` gives the subscription for the socket's address, asked again on every reconnect
 * (the hub's first state then holds only what the wall shows). Returns `send(message)`,
 * true if sent; false while the socket is down, when the reconnect's query carries the news.
 */
export function connectWall(onEvent, onLost, query = () => "") {
  let delay = 1000;
  let socket = null;
  // Why the hub is about to close the socket for good (an agency suspended), shown as it closes.
  let farewell = "";
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/wall/" + query());
    setConnection("connecting", "Connecting…");
    socket.onopen = () => { delay = 1000; };
    socket.onmessage = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type === "agency.suspended") { farewell = String(event.detail || ""); return; }
      onEvent(event);
    };
    socket.onclose = (event) => {
      onLost();
      if (event.code === 4401) { location.href = "/accounts/login/?next=/wall/"; return; }
      if (event.code === 4403) {
        setConnection("closed", farewell || "Your role does not watch video, or your agency is suspended.");
        return;
      }
      setConnection("lost", "Connection lost; reconnecting…");
      setTimeout(connect, delay);
      delay = Math.min(15000, delay * 2);
    };
  };
  connect();
  return (message) => {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  };
}
