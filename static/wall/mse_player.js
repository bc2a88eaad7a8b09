/* A tile's low-latency player: fragmented MP4 from the wall's video socket into Media Source Extensions.
 *
 * The same interface as player.js (start, renew, playingDate, latency, destroy), so a tile
 * holds one or the other. It keeps at most about MAX_AHEAD_S of video ahead of the picture:
 * a little behind, it plays slightly faster; far behind (a tab that slept, a slow moment), it
 * jumps to the live edge (decoding from the newest keyframe it holds), so the picture never
 * drifts away from live. It asks
 * the socket to start again at a keyframe when fragments stop, and gives up to HLS (`onFatal`
 * with the camera put in `hlsOnly`) when no picture comes at all. It plays one stream of the
 * camera: "main", or "sub" (its substream, for grid tiles; one that gives no picture is not a
 * reason for HLS: the tile plays the main stream instead, `onFallback`). `onShowing` is called
 * once its first frame is on screen: the tile swaps it in then (no black frame between).
 */

import { liveSocket, liveStats } from "./live_socket.js";

const MAX_AHEAD_S = 0.15; // ahead is latency; 0.1 s gave three times the stalls (bench/glass_to_glass)
const JUMP_AHEAD_S = 0.6; // further behind than this: jump to the live edge
const CATCH_UP_RATE = 1.2;
const KEEP_BEHIND_S = 4; // buffered video behind the picture kept, then removed
// From the server's "opened": no init segment by then, no fragments at all. Either stream's relay
// may start when it is opened (its demand: a grid tile's substream, an enlarged on-demand camera's
// main stream beside it), and the box must hear of it and send a keyframe first.
const FIRST_FRAME_MS = 8000;
const QUIET_MS = 3000; // no fragment this long: ask again from the newest keyframe (a socket that held for a busy page is quiet up to about 2 s)
const MAX_QUEUED = 8; // fragments waiting for the SourceBuffer (half a second at 15 fps): a keyframe then starts afresh
const HLS_ONLY_MS = 60000;
// A standby is swapped in once its picture has played this long with no jump: a relay that has just
// started (an enlarged on-demand camera's main stream) sends its first fragments in a burst, and the
// jump to the live edge that follows would otherwise be a seek of the picture on screen.
const SETTLED_MS = 400;
const MAX_HELD = 120; // fragments waiting to be appended, at most (a few seconds of video)

// Cameras whose socket stream gave no picture: they play HLS until then (camera id -> ms).
export const hlsOnly = new Map();

export function prefersHls(cameraId) {
  const until = hlsOnly.get(cameraId);
  if (until && until > Date.now()) return true;
  hlsOnly.delete(cameraId);
  return false;
}

/** The MSE type of an init segment: avc1.PPCCLL from its avcC box; null without one (not H.264). */
export function mimeOf(init) {
  for (let i = 4; i + 8 < init.length; i++) {
    if (init[i] === 0x61 && init[i + 1] === 0x76 && init[i + 2] === 0x63 && init[i + 3] === 0x43) { // "avcC"
      const hex = (byte) => byte.toString(16).padStart(2, "0");
      return `video/mp4; codecs="avc1.${hex(init[i + 5])}${hex(init[i + 6])}${hex(init[i + 7])}"`;
    }
  }
  return null;
}

export class MsePlayer {
  /** `onFatal`: start over; `onClosed(reason)`: the server ended the camera; `onFallback`: play HLS instead. */
  constructor(video, cameraId, onFatal, onClosed, onFallback, stream = "main") {
    this.kind = "socket";
    this.video = video;
    this.cameraId = cameraId;
    this.stream = stream;
    this.onShowing = null;
    this.onFatal = onFatal;
    this.onClosedByServer = onClosed;
    this.onFallback = onFallback || onFatal;
    this.url = null;
    this.source = null;
    this.objectUrl = null;
    this.buffer = null;
    this.queue = [];
    this.times = []; // [buffered end after an append, the node's clock of that fragment], newest last
    this.newestKeyframe = null; // where the newest keyframe starts on the media timeline
    this.pendingKeyframe = false;
    this.lastFragment = 0;
    this.lastReceived = 0;
    this.lastProduced = 0; // the node's clock of the newest fragment taken: a resync for another tile repeats older ones
    this.firstFrame = false;
    this.jumpedAt = 0; // when the watch last moved the picture to the live edge
    this.destroyed = false;
    this.subscriber = {
      cameraId,
      stream,
      url: null,
      onInit: (init) => this.init(init),
      onFragment: (bytes, keyframe, producedMs) => this.fragment(bytes, keyframe, producedMs),
      onClosed: (reason) => { if (!this.destroyed) this.onClosedByServer(reason); },
      onOpened: () => { this.openedAt = this.openedAt || Date.now(); },
      onLost: () => { this.source = null; }, // the socket reconnects and starts again at a keyframe
    };
    this.timer = null;
    this.openedAt = 0;
  }

  start(url) {
    this.url = url;
    this.subscriber.url = url;
    this.video.muted = true;
    this.video.dataset.transport = "socket";
    this.video.dataset.stream = this.stream;
    this.startedAt = Date.now();
    liveSocket.subscribe(this.cameraId, this.subscriber);
    this.timer = setInterval(() => this.watch(), 250);
  }

  renew(url) {
    this.url = url;
    liveSocket.renew(this.cameraId, this.subscriber, url);
    return true;
  }

  init(bytes) {
    if (this.destroyed) return;
    const type = mimeOf(bytes);
    // Not H.264 (a box's substream in another codec): the tile plays the main stream, or HLS.
    if (!type || !MediaSource.isTypeSupported(type)) { this.giveUp(); return; }
    // A new run of the relay starts a new timeline: a new MediaSource, never a mix of two.
    this.release();
    const source = new MediaSource();
    this.source = source;
    this.queue = [bytes];
    this.times = [];
    this.newestKeyframe = null;
    this.lastProduced = 0;
    this.objectUrl = URL.createObjectURL(source);
    source.addEventListener("sourceopen", () => {
      if (this.source !== source) return;
      this.buffer = source.addSourceBuffer(type);
      this.buffer.mode = "segments";
      this.buffer.addEventListener("updateend", () => this.appended());
      this.append();
    }, { once: true });
    this.video.src = this.objectUrl;
  }

  fragment(bytes, keyframe, producedMs) {
    if (this.destroyed || !this.source) return;
    if (!this.queue.length && !this.times.length && !keyframe) return; // a viewer starts at a keyframe
    if (producedMs <= this.lastProduced) return; // already taken: the socket restarted this camera for another tile
    if (this.queue.length >= MAX_HELD) {
      // Not appended for a while (a standby whose source never opened, a slow moment): hold no
      // more, and start again at the next keyframe, keeping an init segment not yet appended.
      if (!keyframe) return;
      this.queue = this.queue.filter((item) => !item.bytes);
    }
    this.lastProduced = producedMs;
    this.lastFragment = this.lastReceived = Date.now();
    if (keyframe && this.queue.length > MAX_QUEUED && this.times.length) {
      // The SourceBuffer lags (a busy page): what waits is stale; start again at this keyframe.
      this.queue = this.queue.filter((queued) => !queued.bytes);
      liveStats.queueDrops += 1;
    }
    this.queue.push({ bytes, keyframe, producedMs });
    this.append();
  }

  append() {
    const buffer = this.buffer;
    if (!buffer || buffer.updating || !this.queue.length || this.source.readyState !== "open") return;
    let next = this.queue.shift();
    if (next.bytes && this.queue.length && this.queue[0].bytes && !this.queue[0].keyframe) {
      // The fragments waiting up to the next keyframe in one append: one SourceBuffer update, not one a frame.
      const batch = [next];
      while (this.queue.length && this.queue[0].bytes && !this.queue[0].keyframe) batch.push(this.queue.shift());
      const bytes = new Uint8Array(batch.reduce((sum, item) => sum + item.bytes.length, 0));
      batch.reduce((offset, item) => { bytes.set(item.bytes, offset); return offset + item.bytes.length; }, 0);
      next = { bytes, keyframe: next.keyframe, producedMs: batch[batch.length - 1].producedMs };
    }
    this.pending = next.bytes ? next : null;
    this.pendingStart = buffer.buffered.length ? buffer.buffered.end(buffer.buffered.length - 1) : 0;
    try {
      buffer.appendBuffer(next.bytes || next);
    } catch (error) {
      liveStats.appendErrors += 1;
      this.onFatal(); // QuotaExceeded or a closed source: the tile starts over
    }
  }

  appended() {
    const buffer = this.buffer;
    if (this.destroyed || !buffer || !buffer.buffered.length) { this.append(); return; }
    const ranges = buffer.buffered;
    const end = ranges.end(ranges.length - 1);
    const done = this.pending;
    if (done) {
      // A keyframe after a gap (the socket skipped ahead) starts a range of its own.
      if (done.keyframe) this.newestKeyframe = Math.max(this.pendingStart, ranges.start(ranges.length - 1));
      this.times.push([end, done.producedMs]);
      if (this.times.length > 200) this.times.splice(0, this.times.length - 200);
      if (!this.firstFrame) {
        this.firstFrame = true;
        // Straight to the live edge (the socket starts a viewer with the GOP so far): a jump
        // just after the first frame would seek the picture the tile has just swapped in.
        this.video.currentTime = Math.max(ranges.start(ranges.length - 1), end - MAX_AHEAD_S);
        this.video.play().catch(() => { /* muted autoplay is allowed; the watchdog retries */ });
        this.whenShowing();
      }
    }
    const video = this.video;
    if (!buffer.updating && ranges.start(0) < video.currentTime - KEEP_BEHIND_S * 2) {
      buffer.remove(0, video.currentTime - KEEP_BEHIND_S); // updateend comes back here
      return;
    }
    this.append();
  }

  /** Keep the picture at the live edge; restart a quiet stream; give up to HLS if nothing ever came. */
  watch() {
    if (this.destroyed) return;
    const now = Date.now();
    const video = this.video;
    if (!this.firstFrame) {
      // Only a camera with no fragments at all (a transcoding relay) goes to HLS; one that is
      // merely slow to start (a loaded machine) is the tile's watchdog's to retry.
      if (!this.source && this.openedAt && now - this.openedAt > FIRST_FRAME_MS) this.giveUp();
      return;
    }
    if (now - this.lastFragment > QUIET_MS && liveSocket.open) {
      this.lastFragment = now;
      liveSocket.resync(this.cameraId, this.stream);
    }
    const buffered = this.buffer && this.source && this.source.readyState === "open" ? this.buffer.buffered : null;
    if (!buffered || !buffered.length) return;
    const end = buffered.end(buffered.length - 1);
    const lastStart = buffered.start(buffered.length - 1);
    const ahead = end - video.currentTime;
    if (video.currentTime < lastStart || ahead > JUMP_AHEAD_S) {
      // Behind or before a gap (the socket skipped ahead): jump to the edge, decoding from the
      // newest keyframe held; jumping to the keyframe itself would leave up to a GOP behind.
      const keyframe = this.newestKeyframe !== null && this.newestKeyframe >= lastStart ? this.newestKeyframe : lastStart;
      const target = Math.max(keyframe, end - MAX_AHEAD_S);
      if (target > video.currentTime) {
        video.currentTime = target;
        liveStats.jumps += 1;
        this.jumpedAt = Date.now();
      }
      video.playbackRate = 1;
    } else {
      video.playbackRate = ahead > MAX_AHEAD_S ? CATCH_UP_RATE : 1;
    }
    if (video.paused) video.play().catch(() => {});
    const lag = this.playingDate ? (Date.now() - this.playingDate.getTime()) / 1000 : null;
    video.title = lag === null ? "" : `Latency ${lag.toFixed(2)} s (wall video socket; node clock to screen)`;
  }

  giveUp() {
    if (this.destroyed) return;
    liveStats.fallbacks += 1;
    if (this.stream === "main") hlsOnly.set(this.cameraId, Date.now() + HLS_ONLY_MS);
    this.onFallback();
  }

  /** Whether this camera's fragments still come to a video that has not failed: slow, not broken. */
  get receiving() {
    return !this.video.error && Date.now() - this.lastReceived < QUIET_MS * 2;
  }

  /** Call `onShowing` once frames are presented (decoded and composited, not merely appended)
   * and have played `SETTLED_MS` with no jump to the live edge. */
  whenShowing() {
    const video = this.video;
    const shown = () => { if (!this.destroyed && this.onShowing) this.onShowing(this); };
    if (video.requestVideoFrameCallback) {
      let since = 0;
      const presented = () => {
        if (this.destroyed) return;
        const now = Date.now();
        if (!since || this.jumpedAt > since) since = now;
        if (now - since >= SETTLED_MS) shown();
        else video.requestVideoFrameCallback(presented);
      };
      video.requestVideoFrameCallback(presented);
    } else {
      video.addEventListener("timeupdate", shown, { once: true });
    }
  }

  /** The node's clock when the picture on screen left the relay. */
  get playingDate() {
    const time = this.video.currentTime;
    for (const [end, producedMs] of this.times) {
      if (end >= time) return new Date(producedMs - (end - time) * 1000);
    }
    return null;
  }

  /** Seconds of video held ahead of the picture. */
  get latency() {
    const buffered = this.buffer && this.source && this.source.readyState === "open" ? this.buffer.buffered : null;
    return buffered && buffered.length ? buffered.end(buffered.length - 1) - this.video.currentTime : null;
  }

  release() {
    this.buffer = null;
    this.source = null;
    if (this.objectUrl) URL.revokeObjectURL(this.objectUrl);
    this.objectUrl = null;
  }

  destroy() {
    this.destroyed = true;
    clearInterval(this.timer);
    liveSocket.unsubscribe(this.cameraId, this.subscriber);
    this.release();
    this.video.title = "";
    delete this.video.dataset.transport;
    delete this.video.dataset.stream;
    if (this.video.getAttribute("src")) {
      this.video.removeAttribute("src");
      this.video.load();
    }
  }
}
