/* Playback of a focused tile's camera from its hub recordings: a timeline of what the agency
 * keeps (grey where nothing was recorded), in and out marks, and the export of the marks.
 *
 * Opening playback is a viewing session under the wall's working purpose, audited on the
 * server like a live view; every playlist and segment is authorised again there. The video
 * comes as HLS VOD playlists, an hour from the moment asked for, each segment stamped with
 * its wall-clock start, so the picture's time is the recording's. An agency camera's marks
 * export as a watermarked MP4 with a SHA-256 manifest; a private camera's go to its owner as
 * a footage request, since only the owner gives recordings away.
 */

import { $ } from "./dom.js";
import { askable, askFootage, watchFootage, widened } from "./footage.js";
import { api, closeLive, reasonOf } from "./http.js";
import { Player } from "./player.js";
import { askPurpose, livePurpose } from "./purpose.js";
import { localTime, state } from "./state.js";

const STEP_MS = 10000; // an arrow key moves this far; Page keys a minute
const EXPORT_MAX_MS = 3600 * 1000;
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const stamp = (ms) => new Date(ms).toLocaleString([], { dateStyle: "short", timeStyle: "medium" });

export class Playback {
  constructor() {
    this.camera = null;
    this.player = null;
    this.url = null;
    this.spans = []; // [{start, end}] in ms, browser clock
    this.keptSince = 0;
    this.rangeMs = 3600 * 1000;
    this.marks = { in: null, out: null };
    this.seekTo = null; // the moment to show once the new playlist is loaded
    this.renewTimer = null;
    this.ticker = null;
    this.requests = new AbortController();
  }

  get playbackUrl() {
    return "/api/v1/cameras/" + this.camera.id + "/playback/";
  }

  /** Open playback of `camera`: needs the wall's purpose, as every private look does. */
  async open(camera) {
    const purpose = livePurpose();
    if (!purpose) { askPurpose(null); return; }
    this.close();
    this.camera = camera;
    this.requests = new AbortController();
    const dialog = $("playback-dialog");
    $("playback-camera").textContent = camera.name;
    $("playback-purpose").textContent = state.purpose ? "Purpose: " + state.purpose.label : "";
    $("playback-case").value = purpose.case_number || "";
    $("playback-export").textContent = askable(camera) ? "Ask the owner for this" : "Export";
    $("playback-export").disabled = true;
    this.marks = { in: null, out: null };
    this.result("", null);
    dialog.dataset.state = "opening";
    if (!dialog.open) dialog.showModal();
    const response = await api("POST", this.playbackUrl, purpose, this.requests.signal).catch(() => null);
    if (this.camera !== camera) return;
    if (!response || !response.ok) {
      dialog.dataset.state = "refused";
      this.result(reasonOf(response && response.data, "Playback could not be opened."), "bad");
      return;
    }
    this.url = response.data.url;
    this.keptSince = localTime(response.data.kept_since);
    this.spans = response.data.spans.map((span) => ({ start: localTime(span.start), end: localTime(span.end) }));
    watchFootage("camera-" + camera.id, (text) => { if (this.camera === camera) this.result(text, "asked"); }, "playback");
    if (!this.spans.length) {
      dialog.dataset.state = "empty";
      this.result("No recording of this camera is kept at the hub.", "bad");
      this.drawTimeline();
      return;
    }
    const last = this.spans[this.spans.length - 1];
    const from = Math.max(last.start, last.end - 60000); // the last minute recorded
    // The closest view of the timeline that shows where playback starts.
    this.setRange([900, 3600, 86400].find((seconds) => Date.now() - seconds * 1000 <= from) || 0);
    dialog.dataset.state = "ready";
    this.play(from);
    this.ticker = setInterval(() => this.tick(), 250);
  }

  /** Play from `at` (ms, browser clock): a playlist from that moment, the same session. */
  async play(at) {
    at = this.snap(at);
    const camera = this.camera;
    const response = await api("POST", this.playbackUrl + "renew/", {
      url: this.url, start: new Date(at + state.clockOffset).toISOString(),
    }, this.requests.signal).catch(() => null);
    if (this.camera !== camera) return;
    if (!response || !response.ok) {
      this.result(reasonOf(response && response.data, "Playback stopped."), "bad");
      $("playback-dialog").dataset.state = "refused";
      return;
    }
    this.url = response.data.url;
    this.seekTo = at;
    if (this.player) this.player.destroy();
    const video = $("playback-video");
    this.player = new Player(video, () => this.result("The recording could not be played.", "bad"));
    this.player.start(this.url);
    this.scheduleRenewal(localTime(response.data.expires_at));
  }

  // Half-way through a link's life, a fresh one for the same playback: no new audit line.
  scheduleRenewal(expiresAt) {
    clearTimeout(this.renewTimer);
    this.renewTimer = setTimeout(async () => {
      const response = await api("POST", this.playbackUrl + "renew/", { url: this.url }, this.requests.signal).catch(() => null);
      if (response && response.ok && this.player && this.player.renew(response.data.url)) {
        this.url = response.data.url;
        this.scheduleRenewal(localTime(response.data.expires_at));
      }
    }, Math.max(1000, (expiresAt - Date.now()) / 2));
  }

  /** A moment in a gap moves to the next recorded one (or the last one recorded). */
  snap(at) {
    const span = this.spans.find((entry) => entry.end > at);
    if (!span) return this.spans.length ? this.spans[this.spans.length - 1].end - 10000 : at;
    return Math.max(at, span.start);
  }

  /** The wall-clock time of the picture on screen, or null before it plays. */
  get playing() {
    const date = this.player && this.player.playingDate;
    return date ? date.getTime() - state.clockOffset : null;
  }

  tick() {
    const video = $("playback-video");
    const hls = this.player && this.player.hls;
    if (this.seekTo !== null && hls && hls.levels && hls.levels[0] && hls.levels[0].details && video.readyState >= 1) {
      const first = hls.levels[0].details.fragments[0];
      const offset = (this.seekTo - (first.programDateTime - state.clockOffset)) / 1000;
      this.seekTo = null;
      if (offset > 0.2) video.currentTime = first.start + offset;
    }
    if (video.ended) this.playOnAfter();
    const at = this.playing;
    $("playback-at").textContent = at ? stamp(at) : "";
    $("playback-dialog").dataset.playing = at && !video.paused ? "yes" : "no";
    this.drawTimeline();
  }

  // A playlist covers an hour: at its end, go on with what was recorded after it.
  playOnAfter() {
    const at = this.playing;
    const next = at && this.spans.find((span) => span.end > at + 2000);
    if (next && this.seekTo === null) this.play(Math.max(next.start, at + 1000));
  }

  setRange(seconds) {
    this.rangeMs = seconds * 1000;
    $("playback-dialog").querySelectorAll("[data-range]").forEach((button) => {
      button.setAttribute("aria-pressed", String(Number(button.dataset.range) === seconds));
    });
    this.drawTimeline();
  }

  range() {
    const to = Date.now();
    const from = this.rangeMs ? Math.max(this.keptSince, to - this.rangeMs) : this.keptSince;
    return { from, to };
  }

  drawTimeline() {
    const { from, to } = this.range();
    const width = to - from;
    const pct = (ms) => Math.min(100, Math.max(0, ((ms - from) / width) * 100));
    const spans = $("playback-timeline").querySelector(".timeline-spans");
    const visible = this.spans.filter((span) => span.end > from);
    while (spans.children.length > visible.length) spans.lastChild.remove();
    visible.forEach((span, index) => {
      const node = spans.children[index] || spans.appendChild(document.createElement("div"));
      node.className = "timeline-span";
      node.style.left = pct(span.start) + "%";
      node.style.width = Math.max(0.2, pct(span.end) - pct(span.start)) + "%";
    });
    const at = this.playing;
    const head = $("playback-timeline").querySelector(".timeline-head");
    head.hidden = at === null;
    if (at !== null) head.style.left = pct(at) + "%";
    $("playback-timeline").setAttribute("aria-valuenow", String(Math.round(at === null ? 0 : pct(at))));
    $("playback-timeline").setAttribute("aria-valuetext", at === null ? "not playing" : stamp(at));
    const marked = $("playback-timeline").querySelector(".timeline-marked");
    const { in: markIn, out: markOut } = this.marks;
    marked.hidden = markIn === null;
    if (markIn !== null) {
      const end = markOut === null ? markIn : markOut;
      marked.style.left = pct(Math.min(markIn, end)) + "%";
      marked.style.width = Math.max(0.3, Math.abs(pct(end) - pct(markIn))) + "%";
    }
    $("timeline-from").textContent = stamp(from);
    $("timeline-to").textContent = stamp(to);
  }

  seekByClick(event) {
    const box = event.currentTarget.getBoundingClientRect();
    const { from, to } = this.range();
    this.play(from + ((event.clientX - box.left) / box.width) * (to - from));
  }

  step(ms) {
    const at = this.playing;
    if (at !== null) this.play(at + ms);
  }

  mark(which) {
    const at = this.playing;
    if (at === null) return;
    this.marks[which] = at;
    const { in: markIn, out: markOut } = this.marks;
    const ready = markIn !== null && markOut !== null && markOut > markIn;
    const long = ready && markOut - markIn > EXPORT_MAX_MS && !askable(this.camera);
    $("playback-marks").textContent = (markIn !== null ? "In " + clock(markIn) : "") +
      (markOut !== null ? " · Out " + clock(markOut) : "") +
      (ready ? " · " + Math.round((markOut - markIn) / 1000) + " s" : "") + (long ? " (an export is at most an hour)" : "");
    $("playback-export").disabled = !ready || long;
    this.drawTimeline();
  }

  async exportMarks() {
    const camera = this.camera;
    const { in: markIn, out: markOut } = this.marks;
    if (askable(camera)) {
      // The owner decides: the marks become a request, widened to the 15 minutes the rules ask.
      askFootage("camera-" + camera.id, [camera.id], widened(markIn, markOut));
      return;
    }
    const purpose = livePurpose() || {};
    const button = $("playback-export");
    button.disabled = true;
    this.result("Exporting…", null);
    const response = await api("POST", "/api/v1/cameras/" + camera.id + "/exports/", {
      start: new Date(markIn + state.clockOffset).toISOString(),
      end: new Date(markOut + state.clockOffset).toISOString(),
      case_number: $("playback-case").value.trim(),
      reason: purpose.purpose || "",
      incident: purpose.incident || null,
    }, this.requests.signal).catch(() => null);
    button.disabled = false;
    if (this.camera !== camera) return;
    if (!response || !response.ok) {
      this.result(reasonOf(response && response.data, "The export failed; try again."), "bad");
      return;
    }
    this.result("Exported " + Math.round(response.data.size / 1024) + " KB, watermarked, for case " + response.data.case_number + ".", "ok");
    const link = $("playback-download");
    link.href = response.data.clip_url;
    link.hidden = false;
    $("playback-sha").textContent = "SHA-256 " + response.data.sha256;
    $("playback-dialog").dataset.export = String(response.data.id);
  }

  result(text, kind) {
    const node = $("playback-result");
    node.textContent = text;
    node.dataset.kind = kind || "";
    if (kind !== "ok") { $("playback-download").hidden = true; $("playback-sha").textContent = ""; }
  }

  /** Stop playing and drop every request in flight. The viewing session ends too unless a tile
   * still shows the camera (a tile's live view may share it); then it ends as the tile's does. */
  close() {
    const camera = this.camera;
    if (camera && this.url && !state.tiles.includes(camera.id)) closeLive(camera.id);
    this.url = null;
    this.requests.abort();
    clearTimeout(this.renewTimer);
    clearInterval(this.ticker);
    this.ticker = null;
    if (this.player) { this.player.destroy(); this.player = null; }
    this.camera = null;
    delete $("playback-dialog").dataset.export;
  }
}

export const playback = new Playback();

function tileCamera(button) {
  const tile = button.closest(".tile");
  const id = tile ? Number(tile.dataset.cameraId) : 0;
  return id ? state.cameras.get(id) || null : null;
}

/** A tile's view in a window of its own (another monitor); it opens its own view there. */
export function popOut(camera) {
  window.open("/wall/tile/" + camera.id + "/", "rtcc-tile-" + camera.id, "popup,width=960,height=600");
}

/** A private camera that is not live (on request, registry): ask its owner for the last quarter hour. */
function askFromTile(camera) {
  const key = "camera-" + camera.id;
  watchFootage(key, (text) => {
    document.querySelectorAll(".tile[data-camera-id='" + camera.id + "'] .tile-footage").forEach((node) => { node.textContent = text; });
  }, "tiles");
  askFootage(key, [camera.id], widened(Date.now() - 15 * 60000, Date.now()));
}

export function initPlayback() {
  const dialog = $("playback-dialog");
  $("grid").addEventListener("click", (event) => {
    const button = event.target.closest(".play-back, .pop-out, .tile-ask");
    const camera = button && tileCamera(button);
    if (!camera) return;
    if (button.classList.contains("pop-out")) popOut(camera);
    else if (button.classList.contains("tile-ask")) askFromTile(camera);
    else playback.open(camera);
  });
  $("playback-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => playback.close());
  dialog.querySelectorAll("[data-range]").forEach((button) => {
    button.addEventListener("click", () => playback.setRange(Number(button.dataset.range)));
  });
  const timeline = $("playback-timeline");
  timeline.addEventListener("click", (event) => playback.seekByClick(event));
  timeline.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: -STEP_MS, ArrowRight: STEP_MS, PageDown: -6 * STEP_MS, PageUp: 6 * STEP_MS };
    if (steps[event.key]) { event.preventDefault(); playback.step(steps[event.key]); }
  });
  dialog.addEventListener("keydown", (event) => {
    if (event.target.matches("input")) return;
    if (event.key === "i") playback.mark("in");
    if (event.key === "o") playback.mark("out");
  });
  // `b` plays back the selected tile's camera, as its button does (keys in a field or dialog are theirs).
  document.addEventListener("keydown", (event) => {
    if (event.key !== "b" || event.target.closest("input, select, textarea, dialog") || event.ctrlKey || event.metaKey || event.altKey) return;
    const camera = state.cameras.get(state.tiles[state.focus]);
    if (camera && camera.relay_mode === "continuous") playback.open(camera);
  });
  $("mark-in").addEventListener("click", () => playback.mark("in"));
  $("mark-out").addEventListener("click", () => playback.mark("out"));
  $("playback-export").addEventListener("click", () => playback.exportMarks());
}
