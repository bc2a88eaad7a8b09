/* A tile of the wall: what it shows, and everything it holds to show it.
 *
 * A Tile owns its player, its timers, its IntersectionObserver and its in-flight requests
 * (one AbortController) and releases all of them in `dispose()`: a tile taken off the wall
 * makes no request after that, even for an answer that was on its way.
 *
 * Over the wall's socket a grid tile plays the camera's substream (when it has one), an
 * enlarged tile or a 1x1 grid its main stream. A switch starts the other stream on a second
 * <video> beneath the first and swaps them once its first frame is on screen: the picture
 * never goes black in between (docs/wall.md, "Substreams").
 */

import { statusTitle } from "./cameras.js";
import { askable } from "./footage.js";
import { openLive, reasonOf, renewLive } from "./http.js";
import { liveStats, socketVideoAvailable } from "./live_socket.js";
import { MsePlayer, prefersHls } from "./mse_player.js";
import { Player } from "./player.js";
import { askPurpose, livePurpose, needPurpose, purposeRefused } from "./purpose.js";
import { localTime, state } from "./state.js";

export const MAX_PLAYERS = 16; // browsers hold ~6 connections per host; beyond this, snapshots
const MAX_SOCKET_PLAYERS = 64; // over the one video socket, the connection limit does not apply
const STALE_MS = 4000; // a player whose time stands still this long is stale
const SOCKET_START_MS = 10000;
// A socket player whose fragments keep coming is slow (a busy page), not broken: starting over
// would only add a new view and a new MediaSource to the load. It gets this long.
const SOCKET_RECEIVING_MS = 30000;
const MAX_LAG_MS = 6000; // older pictures are a replay of a stopped stream, not live
// Relay statuses from which opening an on-demand camera starts it (cameras/relay/demand.py).
const STARTS_WHEN_OPENED = new Set(["idle", "starting"]);
const RELAY_START_MS = 15000; // an opened on-demand camera still idle after this is asked for again
const startsWhenOpened = (camera) => camera.relay_mode === "on_demand" && STARTS_WHEN_OPENED.has(camera.status);
const PUBLIC_PURPOSE = "Wall monitoring of an agency camera";
// Cameras whose substream gave no picture: their grid tiles play the main stream until then (camera id -> ms).
const noSubstream = new Map();
const NO_SUBSTREAM_MS = 60000;
// A standby player (the other stream, while the tile switches) with no picture by then gives up.
const STANDBY_MS = 12000;

function ago(seconds) {
  if (seconds < 90) return seconds + " s ago";
  if (seconds < 90 * 60) return Math.round(seconds / 60) + " min ago";
  if (seconds < 48 * 3600) return Math.round(seconds / 3600) + " h ago";
  return Math.round(seconds / 86400) + " days ago";
}

export class Tile {
  /** `actions`: {focus(index, moveFocus), enlarge(index), put(index, cameraId)}, the grid's answers to the tile's controls. */
  constructor(index, actions) {
    this.index = index;
    this.el = document.getElementById("tile-template").content.firstElementChild.cloneNode(true);
    this.el.dataset.index = String(index);
    this.video = this.el.querySelector("video");
    this.img = this.el.querySelector(".snapshot");
    this.cameraId = null; // the camera this tile shows now
    this.player = null;
    this.standby = null; // the other stream's player while the tile switches to it
    this.starting = false;
    this.waiting = null; // an opened on-demand camera whose relay is starting: { live, since }
    this.visible = true;
    this.incident = null; // the incident the camera was docked from: offered as the wall's purpose
    this.error = null;
    this.retries = 0;
    this.lastTime = 0;
    this.lastAdvance = 0;
    this.playingSince = null;
    this.expiresAt = 0;
    this.snapshotVersion = null;
    this.retryTimer = null;
    this.renewTimer = null;
    this.snapshotTimer = null;
    this.errorTimer = null;
    this.requests = new AbortController();
    this.disposed = false;
    this.wire(actions);
    this.watchdog = setInterval(() => this.tick(), 1000);
    this.observer = new IntersectionObserver((entries) => {
      const visible = entries[entries.length - 1].isIntersecting;
      if (visible !== this.visible) { this.visible = visible; this.render(); }
    });
    this.observer.observe(this.el);
  }

  wire(actions) {
    const el = this.el;
    el.addEventListener("click", (event) => {
      if (!event.target.closest("button")) actions.focus(this.index);
    });
    // A tile reached by Tab (or a screen reader) becomes the selected one.
    el.addEventListener("focus", () => { if (state.focus !== this.index) actions.focus(this.index, false); });
    el.addEventListener("dblclick", () => actions.enlarge(this.index));
    el.addEventListener("dragover", (event) => { event.preventDefault(); el.classList.add("drop"); });
    el.addEventListener("dragleave", () => el.classList.remove("drop"));
    el.addEventListener("drop", (event) => {
      event.preventDefault();
      el.classList.remove("drop");
      const id = Number(event.dataTransfer.getData("text/x-camera-id"));
      if (id) actions.put(this.index, id);
    });
    el.querySelector(".clear").addEventListener("click", () => actions.put(this.index, null));
    el.querySelector(".open-live").addEventListener("click", () => askPurpose(this));
    this.video.addEventListener("timeupdate", this.onTimeUpdate = () => this.noteProgress());
    this.img.addEventListener("error", () => {
      if (this.disposed) return;
      // A snapshot replaced while it was read, or refused: try again shortly, never show a broken one.
      this.img.removeAttribute("src");
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = setTimeout(() => { this.snapshotVersion = null; this.render(); }, 2000);
    });
  }

  /** The camera on this tile in the wall's state (null for an empty tile or one no longer shared). */
  get camera() {
    const cameraId = state.tiles[this.index];
    return cameraId ? state.cameras.get(cameraId) || null : null;
  }

  get wantsPlayer() {
    if (document.hidden || !this.visible || state.mapTile === this.index) return false;
    if (state.enlarged !== null) return state.enlarged === this.index;
    if (this.index < MAX_PLAYERS) return true;
    // Beyond 16 only over the socket: a camera that fell back to HLS shows its snapshot there.
    return this.index < MAX_SOCKET_PLAYERS && socketVideoAvailable() && !prefersHls(this.cameraId);
  }

  render() {
    if (this.disposed) return;
    const el = this.el;
    const cameraId = state.tiles[this.index] || null;
    const camera = this.camera;
    if (this.cameraId !== cameraId) {
      this.stop();
      this.cameraId = cameraId;
      this.snapshotVersion = null;
      this.error = null;
      this.img.removeAttribute("src");
    }
    el.dataset.cameraId = cameraId ? String(cameraId) : "";
    // What the tile's playback and footage buttons offer (playback.js): hub recordings, an owner to ask.
    el.dataset.recorded = camera && camera.relay_mode === "continuous" ? "yes" : "no";
    el.dataset.askable = askable(camera) ? "yes" : "no";
    el.querySelector(".open-live").hidden = true;
    el.classList.toggle("focused", state.focus === this.index);
    el.tabIndex = state.focus === this.index ? 0 : -1;
    el.setAttribute("aria-label", "Tile " + (this.index + 1) + (camera ? ": " + camera.name : cameraId ? "" : ": empty"));
    el.classList.toggle("enlarged", state.enlarged === this.index);
    el.querySelector(".name").textContent = camera ? camera.name : "";
    if (!cameraId) {
      this.stop();
      this.setMode("empty", "Empty tile", "Drag a camera here, click one in the list, or press Enter to search.");
      this.setBadge("", "");
    } else if (!camera) {
      this.darken("Not available", "This camera is no longer shared with your agency.", "none");
    } else if (!camera.live) {
      this.darken("Not live", camera.live_refusal || "The owner does not share this camera live now.", "none");
    } else if (camera.status === "idle" && !(this.wantsPlayer && startsWhenOpened(camera))) {
      // Nobody watches: the box's latest thumbnail, served as the snapshot, instead of a dark tile.
      this.stop();
      this.showSnapshot(camera);
      if (this.el.dataset.mode === "snapshot") this.setBadge("idle", "IDLE");
      this.updateAge();
    } else if (camera.status !== "live" && !(this.wantsPlayer && startsWhenOpened(camera))) {
      this.darken(statusTitle(camera.status), camera.status_reason || "No picture from the camera.", "offline");
    } else if (this.error) {
      this.darken("No live view", this.error, "offline");
    } else if (this.wantsPlayer) {
      this.showPlayer(camera);
      this.updateAge();
    } else {
      this.stop();
      this.showSnapshot(camera);
      this.updateAge();
    }
  }

  setMode(mode, title, reason) {
    this.el.dataset.mode = mode;
    this.el.querySelector(".dark-title").textContent = title || "";
    this.el.querySelector(".dark-reason").textContent = reason || "";
  }

  setBadge(kind, text) {
    const badge = this.el.querySelector(".badge");
    badge.dataset.kind = kind;
    badge.textContent = text;
  }

  darken(title, reason, badge) {
    this.stop();
    // Never leave the last picture behind: a frozen frame must not look live.
    this.img.removeAttribute("src");
    this.setMode("dark", title, reason);
    this.setBadge(badge, badge === "none" ? "NOT LIVE" : title.toUpperCase());
    this.updateAge();
  }

  showSnapshot(camera) {
    if (camera.kind !== "public") {
      // The hub serves a private camera's picture only within a viewing session, so a tile
      // without a player shows a neutral placeholder instead of asking for it.
      this.img.removeAttribute("src");
      this.setMode("purpose", "Private camera", "Its picture shows while it plays with a purpose: focus or enlarge it.");
      this.setBadge("snapshot", "PRIVATE");
      return;
    }
    this.setMode("snapshot", "", "");
    this.setBadge("snapshot", "SNAPSHOT");
    if (!camera.snapshot_url) {
      this.setMode("dark", "No snapshot yet", "Waiting for the camera's first keyframe.");
      return;
    }
    if (this.snapshotVersion !== camera.snapshot_version || !this.img.getAttribute("src")) {
      this.snapshotVersion = camera.snapshot_version;
      const separator = camera.snapshot_url.includes("?") ? "&" : "?";
      this.img.src = camera.snapshot_url + separator + "v=" + encodeURIComponent(camera.snapshot_version);
    }
  }

  // ---------- the live player ----------

  showPlayer(camera) {
    if (this.waiting) {
      this.awaitRelay(camera);
      return;
    }
    if (this.player || this.starting) {
      this.el.dataset.mode = this.el.dataset.mode === "stale" ? "stale" : "live";
      if (this.player) this.followStream(camera);
      return;
    }
    const purpose = camera.kind === "public" ? { purpose: PUBLIC_PURPOSE } : livePurpose();
    if (!purpose) {
      // A quiet placeholder: the wall's purpose is set once, from here or from the header.
      this.stop();
      this.setMode("purpose", "Purpose needed", "Private cameras open once the wall has a purpose.");
      this.setBadge("purpose", "PURPOSE");
      this.el.querySelector(".open-live").hidden = false;
      needPurpose(this);
      return;
    }
    this.open(camera, purpose);
  }

  async open(camera, purpose) {
    this.starting = true;
    this.setMode("live", "", "");
    this.setBadge("starting", "CONNECTING");
    const signal = this.requests.signal;
    const response = await openLive(camera.id, purpose, signal, this.heldStream(camera)).catch(() => null);
    if (signal.aborted) return; // stopped or disposed meanwhile: whoever stopped it decides
    this.starting = false;
    if (this.cameraId !== camera.id || !this.wantsPlayer) { this.render(); return; }
    if (!response || !response.ok) {
      const reason = reasonOf(response && response.data, "The live view could not be opened.");
      if (response && response.status === 400 && camera.kind !== "public") {
        // Refused for its purpose (the incident closed meanwhile): read the purpose again;
        // one that still holds was refused for this camera alone, and the tile says why.
        purposeRefused(reason).then(() => {
          if (!this.disposed && state.purpose && this.cameraId === camera.id) { this.error = reason; this.render(); }
        });
      } else if (response && (response.status === 403 || response.status === 404)) {
        this.error = reason;
        this.render();
      } else {
        this.scheduleRetry();
      }
      return;
    }
    if (camera.status !== "live") {
      // An on-demand camera: the view just opened is what starts its relay; play once it is live.
      this.waiting = { live: response.data, since: Date.now() };
      this.awaitRelay(camera);
      return;
    }
    this.attach(response.data);
  }

  awaitRelay(camera) {
    const waiting = this.waiting;
    if (camera.status === "live") {
      this.waiting = null;
      this.attach(waiting.live);
    } else if (camera.status === "idle" && Date.now() - waiting.since > RELAY_START_MS) {
      this.waiting = null; // the demand lapsed or the relay never came: ask again
      this.render();
    } else {
      this.setMode("dark", "Starting…", "Sent only while someone watches: the camera is starting.");
      this.setBadge("starting", "STARTING");
    }
  }

  attach(live) {
    this.lastTime = 0;
    this.lastAdvance = Date.now();
    this.playingSince = null;
    this.expiresAt = localTime(live.expires_at);
    this.player = this.newPlayer();
    this.player.start(live.hls_url);
    this.el.dataset.stream = this.player.stream || "hls";
    this.scheduleRenewal();
  }

  /** The wall's video socket when it works (mse_player.js), else hls.js on the same link. */
  newPlayer() {
    if (socketVideoAvailable() && !prefersHls(this.cameraId)) {
      const stream = this.wantedStream(this.camera);
      const closed = (reason) => this.streamClosed(reason);
      const fallback = stream === "sub" ? () => this.toMain() : () => this.toHls();
      return new MsePlayer(this.video, this.cameraId, () => this.playerFailed(), closed, fallback, stream);
    }
    return new Player(this.video, () => this.scheduleRetry());
  }

  /** The stream this tile's live link holds (its demand): the substream only while a socket player
   * plays it and no switch to the main stream is under way; an HLS player, the main stream. The
   * socket demands whatever stream it carries besides, so enlarging starts the main relay at once. */
  heldStream(camera) {
    if (!socketVideoAvailable() || prefersHls(this.cameraId)) return "main";
    const playing = this.player ? this.player.stream : this.wantedStream(camera);
    return playing === "sub" && (!this.standby || this.standby.stream === "sub") ? "sub" : "main";
  }

  /** The stream a socket player of this tile plays now: the substream in a grid, the main stream enlarged. */
  wantedStream(camera) {
    if (!camera || !camera.substream || state.enlarged === this.index || state.grid === 1) return "main";
    const until = noSubstream.get(camera.id);
    if (until && until > Date.now()) return "main";
    noSubstream.delete(camera.id);
    return "sub";
  }

  /** Switch a playing socket tile to the stream it should play now; the old one shows until the new one does. */
  followStream(camera) {
    const player = this.player;
    if (!player || player.kind !== "socket" || this.retryTimer) return;
    const wanted = this.wantedStream(camera);
    if (wanted === "main" && prefersHls(this.cameraId)) {
      // The main stream has no socket video (a transcoding relay): hls.js, not the substream for ever.
      this.toHls();
      return;
    }
    if (this.standby && this.standby.stream !== wanted) this.dropStandby();
    if (this.standby || player.stream === wanted) return;
    const video = this.video.cloneNode(false);
    video.removeAttribute("src");
    video.removeAttribute("title");
    video.muted = true;
    this.video.before(video); // beneath the picture on screen until it is swapped in
    const next = new MsePlayer(video, this.cameraId, () => this.standbyFailed(next),
      (reason) => this.streamClosed(reason), () => this.standbyFailed(next), wanted);
    next.onShowing = () => this.swapIn(next);
    this.standby = next;
    next.start(player.url);
  }

  /** The standby player shows its first frame: it becomes the tile's, and the old one goes. */
  swapIn(next) {
    if (this.standby !== next || !this.player) return;
    const old = this.player;
    const oldVideo = this.video;
    // A link renewed while the standby started: the one it carries on with is the newest.
    if (old.url && next.url !== old.url) next.renew(old.url);
    this.standby = null;
    this.player = next;
    this.video = next.video;
    oldVideo.removeEventListener("timeupdate", this.onTimeUpdate);
    this.video.addEventListener("timeupdate", this.onTimeUpdate);
    oldVideo.remove(); // first, so that its emptied element is never painted
    old.destroy();
    this.lastTime = this.video.currentTime;
    this.lastAdvance = Date.now();
    this.el.dataset.stream = next.stream;
  }

  dropStandby(player = this.standby) {
    if (!player || this.standby !== player) return;
    this.standby = null;
    player.destroy();
    player.video.remove();
  }

  /** The standby gave no picture: a substream is not asked for again for a while; a main stream
   * without socket video (transcoded) plays through hls.js on the same link. */
  standbyFailed(player) {
    if (this.standby !== player) return;
    this.dropStandby(player);
    if (player.stream === "sub") noSubstream.set(this.cameraId, Date.now() + NO_SUBSTREAM_MS);
    else this.toHls();
  }

  /** The tile's player failed or stood still: start over, on the main stream if it was the substream,
   * so a substream that never plays cannot make the tile open views in a loop. */
  playerFailed() {
    if (this.player && this.player.stream === "sub") noSubstream.set(this.cameraId, Date.now() + NO_SUBSTREAM_MS);
    this.scheduleRetry();
  }

  /** The substream gave no picture: the same view, on the same link, plays the main stream. */
  toMain() {
    const sub = this.player;
    if (!sub) return;
    this.dropStandby();
    noSubstream.set(this.cameraId, Date.now() + NO_SUBSTREAM_MS);
    sub.destroy();
    this.lastAdvance = Date.now();
    this.player = this.newPlayer();
    this.player.start(sub.url);
    this.el.dataset.stream = this.player.stream || "hls";
  }

  /** The server ended the camera's stream (revoked, session over): dark at once, then ask again.
   * Asking opens the view anew, which says why it may not (and then stays dark) or plays. */
  streamClosed(reason) {
    this.stop();
    this.error = reason || "The live view ended.";
    this.render();
    this.retries += 1;
    clearTimeout(this.errorTimer);
    this.errorTimer = setTimeout(() => { this.errorTimer = null; this.error = null; this.render(); },
      Math.min(10000, 1000 * 2 ** Math.min(this.retries - 1, 4)));
  }

  /** The socket gave no picture: the same view, on the same link, through hls.js (no new view opened). */
  toHls() {
    const socketPlayer = this.player;
    if (!socketPlayer) return;
    this.dropStandby();
    socketPlayer.destroy();
    this.player = null;
    if (!this.wantsPlayer) { this.render(); return; } // beyond 16 tiles: its snapshot
    this.lastAdvance = Date.now();
    this.player = new Player(this.video, () => this.scheduleRetry());
    this.player.start(socketPlayer.url);
    this.el.dataset.stream = "hls";
    // A link that held only the substream: renewed now, it holds the main stream HLS plays.
    if (socketPlayer.stream === "sub") { clearTimeout(this.renewTimer); this.renew(); }
  }

  // Half-way through a link's life, a new one for the same view: no reconnect, no new audit line.
  scheduleRenewal() {
    clearTimeout(this.renewTimer);
    const delay = Math.max(1000, (this.expiresAt - Date.now()) / 2);
    this.renewTimer = setTimeout(() => this.renew(), delay);
  }

  async renew() {
    this.renewTimer = null;
    if (!this.player) return;
    const signal = this.requests.signal;
    const response = await renewLive(this.cameraId, this.player.url, signal, this.heldStream(this.camera)).catch(() => null);
    if (signal.aborted) return;
    // The player may have changed meanwhile (a stream switched, HLS instead): every player of
    // the tile plays the same view, so the new link is the one that plays now, renewed or not.
    const player = this.player;
    if (!player) return;
    if (response && response.ok && player.renew(response.data.hls_url)) {
      if (this.standby) this.standby.renew(response.data.hls_url);
      this.expiresAt = localTime(response.data.expires_at);
      this.scheduleRenewal();
    } else if (response && response.status >= 400 && response.status < 500) {
      // The view may not go on (consent, session, role): opening it again says why, or asks.
      this.stop();
      this.render();
    } else {
      // The network failed: try again while the link still holds; the watchdog reopens after that.
      this.renewTimer = setTimeout(() => this.renew(), 5000);
    }
  }

  /** Stop playing and drop every request in flight; the tile stays usable. */
  stop() {
    this.requests.abort();
    this.requests = new AbortController();
    this.starting = false;
    this.waiting = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    clearTimeout(this.renewTimer);
    this.renewTimer = null;
    this.dropStandby();
    delete this.el.dataset.stream;
    if (this.player) {
      this.player.destroy();
      this.player = null;
    } else if (this.video.getAttribute("src")) {
      this.video.removeAttribute("src");
      this.video.load();
    }
    this.el.classList.remove("playing");
  }

  scheduleRetry() {
    if (this.player && this.player.kind === "socket") liveStats.tileRetries += 1;
    this.stop();
    this.retries += 1;
    const delay = Math.min(10000, 1000 * 2 ** Math.min(this.retries - 1, 4)) * (0.8 + Math.random() * 0.4);
    this.setMode("stale", "Reconnecting…", "The live stream stopped; trying again.");
    this.setBadge("stale", "STALE");
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.render(); }, delay);
  }

  lag() {
    // The relay stamps each segment with the server's clock (EXT-X-PROGRAM-DATE-TIME).
    const playing = this.player && this.player.playingDate;
    return playing ? Date.now() + state.clockOffset - playing.getTime() : null;
  }

  noteProgress() {
    if (!this.player) return;
    const lag = this.lag();
    // Time that moves through old segments (a stream that stopped, reloaded) is not live.
    if (lag !== null && lag > MAX_LAG_MS) return;
    if (this.video.currentTime > this.lastTime + 0.01) {
      this.lastTime = this.video.currentTime;
      this.lastAdvance = Date.now();
      if (!this.playingSince) this.playingSince = Date.now();
      this.retries = 0;
      if (this.el.dataset.mode !== "live") this.setMode("live", "", "");
      this.el.classList.add("playing");
      this.setBadge("live", "LIVE");
    }
  }

  // The watchdog: a player whose time stands still is stale and reconnects by itself.
  tick() {
    const now = Date.now();
    if (this.waiting) this.render(); // an on-demand camera that never starts is asked for again
    if (this.player && !this.retryTimer) {
      this.noteProgress();
      // A socket player starting on a loaded wall (64 tiles opening at once) gets longer.
      const socket = this.player.kind === "socket";
      const patience = socket && this.player.receiving ? SOCKET_RECEIVING_MS
        : socket && !this.playingSince ? SOCKET_START_MS : STALE_MS;
      if (this.standby && now - this.standby.startedAt > STANDBY_MS) this.standbyFailed(this.standby);
      if (now - this.lastAdvance > patience) {
        this.playerFailed();
      } else if (this.expiresAt - now < 2000) {
        this.stop(); // the link lapses and was not renewed: open the view again
        this.render();
      } else if (now - this.lastAdvance > 1500) {
        this.setBadge("stale", "STALE");
        this.el.classList.remove("playing");
      }
    }
    this.updateAge();
  }

  updateAge() {
    const age = this.el.querySelector(".age");
    const camera = this.cameraId ? state.cameras.get(this.cameraId) : null;
    const mode = this.el.dataset.mode;
    let lastFrame = null;
    if (this.player && this.lastAdvance && this.playingSince) lastFrame = this.lastAdvance;
    else if (camera && camera.last_frame_at && camera.live && mode !== "empty") {
      // Dark tiles of a camera that may be seen say how long it has been silent.
      lastFrame = localTime(camera.last_frame_at);
    }
    if (lastFrame === null) { age.textContent = ""; return; }
    const seconds = Math.max(0, Math.round((Date.now() - lastFrame) / 1000));
    age.textContent = "last frame " + ago(seconds);
    this.el.dataset.lastFrameAge = String(seconds);
  }

  /** Release everything: player, timers, observer, requests in flight, the element. */
  dispose() {
    this.disposed = true;
    this.stop();
    this.requests.abort();
    clearTimeout(this.snapshotTimer);
    clearTimeout(this.errorTimer);
    clearInterval(this.watchdog);
    this.observer.disconnect();
    this.img.removeAttribute("src");
    this.el.remove();
  }
}
