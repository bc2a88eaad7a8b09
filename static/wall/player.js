/* One hls.js player on one <video>, whose signed link can be renewed while it plays.
 *
 * The token sits in the link's path and the playlist names its segments relative to it, so
 * every request hls.js makes starts with a folder of a link this player was given. Renewing
 * swaps that folder for the new link's in each later request (hls.js lets `xhrSetup` open the
 * request itself): the picture never stops and no new view is opened on the server.
 */

import { config } from "./state.js";

function folderOf(url) {
  const absolute = new URL(url, location.href).href;
  return absolute.slice(0, absolute.lastIndexOf("/") + 1);
}

export class Player {
  /** `onFatal` is called once hls.js gives up (the tile reconnects with backoff). */
  constructor(video, onFatal) {
    this.video = video;
    this.onFatal = onFatal;
    this.hls = null;
    this.url = null;
    this.folder = null;
    this.folders = new Set(); // every link's folder, so that old segment names are rewritten too
    this.destroyed = false;
  }

  start(url) {
    this.url = url;
    this.folder = folderOf(url);
    this.folders.add(this.folder);
    const video = this.video;
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      const hls = new Hls({
        ...config.hls, // latency tuning, from the server (cameras/wall/views.py)
        maxBufferLength: 6,
        backBufferLength: 4,
        // The playlist is tried again on a 404 too (hls.js gives up on any 4xx): an on-demand
        // camera relayed on its substream alone (docs/relay-fleet.md) has no HLS window until
        // its main relay, started by this view's demand, writes the first segment, a second or
        // three; giving up sooner would reopen the view. A refused link (403) is not retried.
        manifestLoadPolicy: {
          default: {
            maxTimeToFirstByteMs: Infinity,
            maxLoadTimeMs: 20000,
            timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
            errorRetry: {
              maxNumRetry: 4,
              retryDelayMs: 1000,
              maxRetryDelayMs: 4000,
              shouldRetry: (policy, count, timedOut, response, retry) =>
                retry || (count < policy.maxNumRetry && !!response && response.code === 404),
            },
          },
        },
        levelLoadingMaxRetry: 2,
        fragLoadingMaxRetry: 2,
        xhrSetup: (xhr, requested) => xhr.open("GET", this.current(requested), true),
      });
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (event, data) => {
        if (data.fatal && !this.destroyed) this.onFatal();
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else {
      video.src = url; // Safari plays HLS natively; its link cannot be swapped while it plays
    }
    video.muted = true;
    video.play().catch(() => { /* autoplay of muted video is allowed; retried by the watchdog */ });
  }

  /** Use `url` for every later request; false when this player cannot (native HLS). */
  renew(url) {
    if (!this.hls) return false;
    this.url = url;
    this.folder = folderOf(url);
    this.folders.add(this.folder);
    return true;
  }

  current(requested) {
    const absolute = new URL(requested, location.href).href;
    const folder = absolute.slice(0, absolute.lastIndexOf("/") + 1);
    return this.folders.has(folder) ? this.folder + absolute.slice(folder.length) : requested;
  }

  /** The wall-clock time of the picture on screen (the segments' program date-time). */
  get playingDate() {
    return this.hls ? this.hls.playingDate : null;
  }

  get latency() {
    return this.hls ? this.hls.latency : null;
  }

  destroy() {
    this.destroyed = true;
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this.video.getAttribute("src")) {
      this.video.removeAttribute("src");
      this.video.load();
    }
  }
}
