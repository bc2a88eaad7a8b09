/* The wall's one video socket (/ws/live/): the fragments of every playing tile, by camera.
 *
 * One WebSocket carries every tile, so a wall is not capped by the browser's six connections
 * per host. Each binary message is a 16-byte header (cameras/live_stream/frames.py: camera
 * id, kind, keyframe, stream, the node's clock in ms) and MP4 bytes. A camera has up to two
 * streams here, "main" and "sub" (its substream, for grid tiles): subscribers name theirs. The socket reconnects with
 * backoff and opens again every camera it carried; a camera the server refuses or ends comes
 * back as {"type": "closed"} with the reason, and that tile's player is told.
 */

const HEADER_BYTES = 16;
const KIND_INIT = 0;
// Connections that fail before one opens: after this many, tiles use HLS for a while.
const FAILURES_BEFORE_FALLBACK = 3;
const FALLBACK_MS = 60000;
const STREAMS = ["main", "sub"]; // by the header's stream number
const keyOf = (cameraId, stream) => cameraId + ":" + stream;
// The page acknowledges the video it handled this often (cameras/live_stream/consumer.py): a page
// that falls behind is sent nothing stale, each camera starting again at its newest keyframe.
const ACK_MS = 100;

/* What the wall's live video did since the page loaded, for operators and the benches (read-only
 * outside these modules): events by kind, and each camera's newest arrival lag (the node's clock
 * when its newest fragment left the relay, to the moment the page received it). */
export const liveStats = {
  messages: 0, bytes: 0, opens: 0, resyncs: 0, closedByServer: 0, lost: 0,
  tileRetries: 0, fallbacks: 0, jumps: 0, appendErrors: 0, queueDrops: 0,
  skipsSeen: 0, // a camera's fragments jumping ahead by more than half a second: the server skipped
  arrivalLag: new Map(),
};

class LiveSocket {
  constructor() {
    this.socket = null;
    this.open = false;
    // "camera:stream" -> Set of {stream, url, onInit, onFragment, onClosed, onLost}
    this.subscribers = new Map();
    this.inits = new Map(); // "camera:stream" -> the newest init segment: a second tile of a camera starts with it
    this.delay = 1000;
    this.failures = 0;
    this.brokenUntil = 0;
    this.retryTimer = null;
    this.received = 0; // binary bytes on this connection
    this.acked = 0;
    this.ackedAt = 0;
    this.ackTimer = null;
    this.newest = new Map(); // camera id -> the node's clock of its newest fragment
  }

  /** False while the socket keeps failing (a proxy without WebSockets): tiles fall back to HLS. */
  get usable() {
    return Date.now() >= this.brokenUntil;
  }

  subscribe(cameraId, subscriber) {
    const stream = subscriber.stream || "main";
    const key = keyOf(cameraId, stream);
    let set = this.subscribers.get(key);
    const known = Boolean(set && set.size);
    if (!set) this.subscribers.set(key, (set = new Set()));
    set.add(subscriber);
    if (known && this.inits.has(key)) {
      subscriber.onInit(this.inits.get(key));
      this.send({ type: "resync", camera: cameraId, stream }); // from the newest keyframe, for this tile
    } else {
      this.send({ type: "open", camera: cameraId, url: subscriber.url, stream });
      liveStats.opens += 1;
    }
    this.connect();
  }

  renew(cameraId, subscriber, url) {
    subscriber.url = url;
    this.send({ type: "open", camera: cameraId, url, stream: subscriber.stream || "main" });
  }

  resync(cameraId, stream = "main") {
    liveStats.resyncs += 1;
    this.send({ type: "resync", camera: cameraId, stream });
  }

  unsubscribe(cameraId, subscriber) {
    const stream = subscriber.stream || "main";
    const key = keyOf(cameraId, stream);
    const set = this.subscribers.get(key);
    if (!set || !set.delete(subscriber)) return;
    if (!set.size) {
      this.subscribers.delete(key);
      this.inits.delete(key);
      this.send({ type: "close", camera: cameraId, stream });
    }
  }

  /** What this page handled so far: the server sends nothing stale to a page that fell behind. */
  ack() {
    if (this.received === this.acked) return;
    this.acked = this.received;
    this.ackedAt = Date.now();
    this.send({ type: "ack", bytes: this.received });
  }

  send(message) {
    if (this.open) this.socket.send(JSON.stringify(message));
  }

  connect() {
    if (this.socket || this.retryTimer) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/live/");
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.onopen = () => {
      this.open = true;
      this.received = 0;
      this.acked = 0;
      this.ackTimer = setInterval(() => this.ack(), ACK_MS * 2.5); // the last bytes of a quiet moment
      this.delay = 1000;
      this.failures = 0;
      for (const set of this.subscribers.values()) {
        const first = set.values().next().value;
        if (first) this.send({ type: "open", camera: first.cameraId, url: first.url, stream: first.stream || "main" });
      }
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = (event) => {
      clearInterval(this.ackTimer);
      if (!this.open) this.failures += 1;
      if (this.failures >= FAILURES_BEFORE_FALLBACK) this.brokenUntil = Date.now() + FALLBACK_MS;
      this.open = false;
      this.socket = null;
      this.inits.clear();
      liveStats.lost += 1;
      for (const set of this.subscribers.values()) for (const subscriber of [...set]) subscriber.onLost();
      if (event.code === 4401 || !this.subscribers.size) return; // signed out (the wall's socket says so), or idle
      this.retryTimer = setTimeout(() => { this.retryTimer = null; this.connect(); }, this.delay * (0.8 + Math.random() * 0.4));
      this.delay = Math.min(15000, this.delay * 2);
    };
  }

  receive(data) {
    if (typeof data === "string") {
      let event;
      try { event = JSON.parse(data); } catch (e) { return; }
      if (event.type === "opened") {
        const key = keyOf(event.camera, event.stream || "main");
        for (const subscriber of this.subscribers.get(key) || []) subscriber.onOpened();
        return;
      }
      if (event.type !== "closed") return;
      liveStats.closedByServer += 1;
      // A camera's streams end together: they are checked with the one link.
      for (const stream of STREAMS) {
        const key = keyOf(event.camera, stream);
        const set = this.subscribers.get(key);
        this.subscribers.delete(key);
        this.inits.delete(key);
        if (set) for (const subscriber of set) subscriber.onClosed(String(event.detail || ""));
      }
      return;
    }
    if (data.byteLength < HEADER_BYTES) return;
    liveStats.messages += 1;
    liveStats.bytes += data.byteLength;
    this.received += data.byteLength;
    if (Date.now() - this.ackedAt >= ACK_MS) this.ack();
    const header = new DataView(data, 0, HEADER_BYTES);
    const cameraId = header.getUint32(0);
    const key = keyOf(cameraId, STREAMS[header.getUint16(6)] || "main");
    const set = this.subscribers.get(key);
    if (!set) return;
    const bytes = new Uint8Array(data, HEADER_BYTES);
    if (header.getUint8(4) === KIND_INIT) {
      this.inits.set(key, bytes);
      for (const subscriber of set) subscriber.onInit(bytes);
    } else {
      const keyframe = header.getUint8(5) === 1;
      const producedMs = header.getFloat64(8);
      liveStats.arrivalLag.set(cameraId, Date.now() - producedMs);
      if (producedMs - (this.newest.get(key) || producedMs) > 500) liveStats.skipsSeen += 1;
      this.newest.set(key, producedMs);
      for (const subscriber of set) subscriber.onFragment(bytes, keyframe, producedMs);
    }
  }
}

export const liveSocket = new LiveSocket();

/** Whether tiles may play over the socket now: Media Source Extensions with H.264, and a socket that works. */
export function socketVideoAvailable() {
  const source = window.MediaSource;
  return Boolean(source && source.isTypeSupported('video/mp4; codecs="avc1.42E01E"') && liveSocket.usable);
}
