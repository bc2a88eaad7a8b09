/* The dispatchers' video wall.
 *
 * State comes whole over the WebSocket on every (re)connect, then as events. Pixels come
 * only from the media endpoints, which check consent and purpose on every request: this
 * page decides nothing about who may see what, it only shows honestly what it gets.
 */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("wall-config").textContent);
  const GRIDS = config.grids; // tiles per side, keys 1..5
  const MAX_PLAYERS = 16; // browsers hold ~6 connections per host; beyond this, snapshots
  const STALE_MS = 4000; // a player whose time stands still this long is stale
  const MAX_LAG_MS = 6000; // older pictures are a replay of a stopped stream, not live
  const PUBLIC_PURPOSE = "Wall monitoring of an agency camera";

  const state = {
    cameras: new Map(),
    incidents: new Map(),
    clockOffset: 0, // server time minus browser time, for "last frame N s ago"
    grid: 2,
    tiles: [],
    focus: 0,
    enlarged: null,
    connected: false,
  };
  const runtime = []; // per tile index: {el, cameraId, hls, lastTime, lastAdvance, visible, ...}
  const purposeQueue = [];

  const $ = (id) => document.getElementById(id);
  const gridEl = $("grid");

  // ---------- persistence ----------
  function saveLocal() {
    localStorage.setItem("rtcc.wall", JSON.stringify({ grid: state.grid, tiles: state.tiles }));
  }
  function loadLocal() {
    try {
      const saved = JSON.parse(localStorage.getItem("rtcc.wall") || "null");
      if (saved && GRIDS.includes(saved.grid) && Array.isArray(saved.tiles)) {
        state.grid = saved.grid;
        state.tiles = saved.tiles;
      }
    } catch (e) { /* a broken entry is replaced on the next save */ }
  }
  function purposeFor(cameraId) {
    try { return JSON.parse(sessionStorage.getItem("rtcc.purpose." + cameraId) || "null"); }
    catch (e) { return null; }
  }
  function setPurpose(cameraId, purpose) {
    if (purpose) sessionStorage.setItem("rtcc.purpose." + cameraId, JSON.stringify(purpose));
    else sessionStorage.removeItem("rtcc.purpose." + cameraId);
  }

  // ---------- HTTP ----------
  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, ok: response.ok, data };
  }
  function reasonOf(data, fallback) {
    if (!data) return fallback;
    if (data.detail) return data.detail;
    const first = Object.values(data.errors || data)[0];
    return Array.isArray(first) ? first.join(" ") : String(first || fallback);
  }

  // ---------- grid ----------
  function setGrid(size, tiles) {
    state.grid = size;
    const count = size * size;
    const next = (tiles || state.tiles).slice(0, count);
    while (next.length < count) next.push(null);
    state.tiles = next;
    state.focus = Math.min(state.focus, count - 1);
    state.enlarged = null;
    saveLocal();
    buildGrid();
  }

  function buildGrid() {
    runtime.forEach(stopPlayer);
    runtime.length = 0;
    gridEl.innerHTML = "";
    gridEl.dataset.grid = String(state.grid);
    gridEl.style.setProperty("--side", state.grid);
    document.querySelectorAll(".grid-button").forEach((button) => {
      button.classList.toggle("active", Number(button.dataset.grid) === state.grid);
    });
    const template = $("tile-template");
    state.tiles.forEach((cameraId, index) => {
      const el = template.content.firstElementChild.cloneNode(true);
      el.dataset.index = String(index);
      const tile = { el, index, cameraId: null, hls: null, visible: true, lastTime: 0, lastAdvance: 0 };
      runtime.push(tile);
      wireTile(tile);
      gridEl.appendChild(el);
      observer.observe(el);
    });
    renderAll();
  }

  function wireTile(tile) {
    const el = tile.el;
    el.addEventListener("click", (event) => {
      if (event.target.closest("button")) return;
      setFocus(tile.index);
    });
    el.addEventListener("dblclick", () => toggleEnlarge(tile.index));
    el.addEventListener("dragover", (event) => { event.preventDefault(); el.classList.add("drop"); });
    el.addEventListener("dragleave", () => el.classList.remove("drop"));
    el.addEventListener("drop", (event) => {
      event.preventDefault();
      el.classList.remove("drop");
      const id = Number(event.dataTransfer.getData("text/x-camera-id"));
      if (id) putCamera(tile.index, id);
    });
    el.querySelector(".clear").addEventListener("click", () => putCamera(tile.index, null));
    el.querySelector(".open-live").addEventListener("click", () => {
      tile.purposeDeclined = false;
      askPurpose(tile.index, true);
    });
    const video = el.querySelector("video");
    video.addEventListener("timeupdate", () => noteProgress(tile));
    const img = el.querySelector(".snapshot");
    img.addEventListener("error", () => {
      // A snapshot replaced while it was read, or refused: try again shortly, never show a broken one.
      img.removeAttribute("src");
      clearTimeout(tile.snapshotRetry);
      tile.snapshotRetry = setTimeout(() => { tile.snapshotVersion = null; renderTile(tile); }, 2000);
    });
  }

  function putCamera(index, cameraId) {
    const previous = state.tiles[index];
    state.tiles[index] = cameraId;
    saveLocal();
    if (previous && previous !== cameraId && !state.tiles.includes(previous)) closeViewing(previous);
    renderTile(runtime[index]);
  }

  function renderAll() {
    runtime.forEach(renderTile);
    renderList();
    renderMap();
  }

  // ---------- tiles ----------
  function wantsPlayer(tile) {
    if (document.hidden || !tile.visible) return false;
    if (state.enlarged !== null) return state.enlarged === tile.index;
    return tile.index < MAX_PLAYERS;
  }

  function setMode(tile, mode, title, reason) {
    const el = tile.el;
    el.dataset.mode = mode;
    el.querySelector(".dark-title").textContent = title || "";
    el.querySelector(".dark-reason").textContent = reason || "";
  }

  function renderTile(tile) {
    if (!tile) return;
    const el = tile.el;
    const cameraId = state.tiles[tile.index];
    const camera = cameraId ? state.cameras.get(cameraId) : null;
    if (tile.cameraId !== cameraId) {
      stopPlayer(tile);
      tile.cameraId = cameraId;
      tile.snapshotVersion = null;
      tile.error = null;
      el.querySelector(".snapshot").removeAttribute("src");
    }
    el.dataset.cameraId = cameraId ? String(cameraId) : "";
    el.querySelector(".open-live").hidden = true;
    el.classList.toggle("focused", state.focus === tile.index);
    el.classList.toggle("enlarged", state.enlarged === tile.index);
    el.querySelector(".name").textContent = camera ? camera.name : "";
    if (!cameraId) {
      stopPlayer(tile);
      setMode(tile, "empty", "Empty tile", "Drag a camera here, or click one in the list.");
      setBadge(tile, "", "");
      return;
    }
    if (!camera) {
      darken(tile, "Not available", "This camera is no longer shared with your agency.", "none");
      return;
    }
    if (!camera.live) {
      darken(tile, "Not live", camera.live_refusal || "The owner does not share this camera live now.", "none");
      return;
    }
    if (camera.status !== "live") {
      darken(tile, statusTitle(camera.status), camera.status_reason || "No picture from the camera.", "offline");
      return;
    }
    if (tile.error) {
      darken(tile, "No live view", tile.error, "offline");
      return;
    }
    if (wantsPlayer(tile)) {
      showPlayer(tile, camera);
    } else {
      stopPlayer(tile);
      showSnapshot(tile, camera);
    }
    updateAge(tile);
  }

  function statusTitle(status) {
    return {
      offline: "Offline", starting: "Starting…", stalled: "Stalled", backoff: "Reconnecting…",
      stopped: "Stopped", error: "Error",
    }[status] || status;
  }

  function darken(tile, title, reason, badge) {
    stopPlayer(tile);
    // Never leave the last picture behind: a frozen frame must not look live.
    tile.el.querySelector(".snapshot").removeAttribute("src");
    setMode(tile, "dark", title, reason);
    setBadge(tile, badge, badge === "none" ? "NOT LIVE" : title.toUpperCase());
    updateAge(tile);
  }

  function setBadge(tile, kind, text) {
    const badge = tile.el.querySelector(".badge");
    badge.dataset.kind = kind;
    badge.textContent = text;
  }

  function showSnapshot(tile, camera) {
    setMode(tile, "snapshot", "", "");
    setBadge(tile, "snapshot", "SNAPSHOT");
    const img = tile.el.querySelector(".snapshot");
    if (!camera.snapshot_url) {
      setMode(tile, "dark", "No snapshot yet", "Waiting for the camera's first keyframe.");
      return;
    }
    if (tile.snapshotVersion !== camera.snapshot_version || !img.getAttribute("src")) {
      tile.snapshotVersion = camera.snapshot_version;
      const separator = camera.snapshot_url.includes("?") ? "&" : "?";
      img.src = camera.snapshot_url + separator + "v=" + camera.snapshot_version;
    }
  }

  // ---------- players ----------
  function showPlayer(tile, camera) {
    if (tile.hls || tile.starting) {
      tile.el.dataset.mode = tile.el.dataset.mode === "stale" ? "stale" : "live";
      return;
    }
    let purpose = purposeFor(camera.id);
    if (camera.kind === "public" && !purpose) purpose = { purpose: PUBLIC_PURPOSE };
    if (!purpose) {
      stopPlayer(tile);
      setMode(tile, "purpose", "Purpose needed", "A private camera opens with an incident or a case number.");
      setBadge(tile, "purpose", "PURPOSE");
      tile.el.querySelector(".open-live").hidden = false;
      if (!tile.purposeDeclined) queuePurpose(tile.index);
      return;
    }
    startPlayer(tile, camera, purpose);
  }

  async function startPlayer(tile, camera, purpose) {
    tile.starting = true;
    setMode(tile, "live", "", "");
    setBadge(tile, "starting", "CONNECTING");
    const cameraId = camera.id;
    const response = await api("POST", "/api/v1/cameras/" + cameraId + "/live/", purpose).catch(() => null);
    tile.starting = false;
    if (tile.cameraId !== cameraId || !wantsPlayer(tile)) { renderTile(tile); return; }
    if (!response || !response.ok) {
      const reason = reasonOf(response && response.data, "The live view could not be opened.");
      if (response && response.status === 400 && camera.kind !== "public") {
        setPurpose(cameraId, null);
        tile.purposeError = reason;
        renderTile(tile);
        return;
      }
      if (response && (response.status === 403 || response.status === 404)) {
        tile.error = reason;
        renderTile(tile);
        return;
      }
      scheduleRetry(tile);
      return;
    }
    attach(tile, response.data);
  }

  function attach(tile, live) {
    const video = tile.el.querySelector("video");
    tile.lastTime = 0;
    tile.lastAdvance = Date.now();
    tile.playingSince = null;
    tile.expiresAt = Date.parse(live.expires_at);
    if (window.Hls && Hls.isSupported()) {
      const hls = new Hls({
        ...config.hls, // latency tuning, from the server (cameras/wall/views.py)
        maxBufferLength: 6,
        backBufferLength: 4,
        manifestLoadingMaxRetry: 2,
        levelLoadingMaxRetry: 2,
        fragLoadingMaxRetry: 2,
      });
      tile.hls = hls;
      hls.on(Hls.Events.ERROR, (event, data) => {
        if (data.fatal && tile.hls === hls) scheduleRetry(tile);
      });
      hls.loadSource(live.hls_url);
      hls.attachMedia(video);
    } else {
      video.src = live.hls_url; // Safari plays HLS natively
      tile.hls = { destroy() { video.removeAttribute("src"); video.load(); } };
    }
    video.muted = true;
    video.play().catch(() => { /* autoplay of muted video is allowed; retried by the watchdog */ });
  }

  function stopPlayer(tile) {
    clearTimeout(tile.retryTimer);
    tile.retryTimer = null;
    if (tile.hls) {
      tile.hls.destroy();
      tile.hls = null;
    }
    const video = tile.el.querySelector("video");
    if (video.getAttribute("src")) { video.removeAttribute("src"); video.load(); }
    tile.el.classList.remove("playing");
  }

  function scheduleRetry(tile) {
    stopPlayer(tile);
    tile.retries = (tile.retries || 0) + 1;
    const delay = Math.min(10000, 1000 * 2 ** Math.min(tile.retries - 1, 4)) * (0.8 + Math.random() * 0.4);
    setMode(tile, "stale", "Reconnecting…", "The live stream stopped; trying again.");
    setBadge(tile, "stale", "STALE");
    tile.retryTimer = setTimeout(() => { tile.retryTimer = null; renderTile(tile); }, delay);
  }

  function lagOf(tile) {
    // The relay stamps each segment with the server's clock (EXT-X-PROGRAM-DATE-TIME).
    const playing = tile.hls && tile.hls.playingDate;
    return playing ? Date.now() + state.clockOffset - playing.getTime() : null;
  }

  function noteProgress(tile) {
    const video = tile.el.querySelector("video");
    const lag = lagOf(tile);
    // Time that moves through old segments (a stream that stopped, reloaded) is not live.
    if (lag !== null && lag > MAX_LAG_MS) return;
    if (video.currentTime > tile.lastTime + 0.01) {
      tile.lastTime = video.currentTime;
      tile.lastAdvance = Date.now();
      if (!tile.playingSince) tile.playingSince = Date.now();
      tile.retries = 0;
      if (tile.el.dataset.mode !== "live") setMode(tile, "live", "", "");
      tile.el.classList.add("playing");
      setBadge(tile, "live", "LIVE");
    }
  }

  // The watchdog: a player whose time stands still is stale and reconnects by itself.
  function watchdog() {
    const now = Date.now();
    runtime.forEach((tile) => {
      if (tile.hls && !tile.retryTimer) {
        noteProgress(tile);
        if (now - tile.lastAdvance > STALE_MS) {
          scheduleRetry(tile);
        } else if (tile.expiresAt && tile.expiresAt - now < 5000) {
          stopPlayer(tile); // the signed URL is about to lapse: fetch a new one
          renderTile(tile);
        } else if (now - tile.lastAdvance > 1500) {
          setBadge(tile, "stale", "STALE");
          tile.el.classList.remove("playing");
        }
      }
      updateAge(tile);
    });
  }

  function updateAge(tile) {
    const age = tile.el.querySelector(".age");
    const camera = tile.cameraId ? state.cameras.get(tile.cameraId) : null;
    const mode = tile.el.dataset.mode;
    let lastFrame = null;
    if (tile.hls && tile.lastAdvance && tile.playingSince) lastFrame = tile.lastAdvance;
    else if (camera && camera.last_frame_at && camera.live && mode !== "empty") {
      // Dark tiles of a camera that may be seen say how long it has been silent.
      lastFrame = Date.parse(camera.last_frame_at) - state.clockOffset;
    }
    if (lastFrame === null) { age.textContent = ""; return; }
    const seconds = Math.max(0, Math.round((Date.now() - lastFrame) / 1000));
    age.textContent = "last frame " + ago(seconds);
    tile.el.dataset.lastFrameAge = String(seconds);
  }

  function ago(seconds) {
    if (seconds < 90) return seconds + " s ago";
    if (seconds < 90 * 60) return Math.round(seconds / 60) + " min ago";
    if (seconds < 48 * 3600) return Math.round(seconds / 3600) + " h ago";
    return Math.round(seconds / 86400) + " days ago";
  }

  // ---------- purpose ----------
  function queuePurpose(index) {
    if (!purposeQueue.includes(index)) purposeQueue.push(index);
  }

  function askPurpose(index, now) {
    queuePurpose(index);
    if (now) {
      purposeQueue.splice(purposeQueue.indexOf(index), 1);
      purposeQueue.unshift(index);
    }
    openPurposeDialog();
  }

  function openPurposeDialog() {
    const dialog = $("purpose-dialog");
    if (dialog.open) return;
    while (purposeQueue.length) {
      const index = purposeQueue[0];
      const tile = runtime[index];
      const camera = tile && state.cameras.get(state.tiles[index]);
      if (camera && !purposeFor(camera.id) && camera.kind !== "public") break;
      purposeQueue.shift();
    }
    if (!purposeQueue.length) return;
    const tile = runtime[purposeQueue[0]];
    const camera = state.cameras.get(state.tiles[tile.index]);
    $("purpose-camera").textContent = camera.name;
    const select = $("purpose-incident");
    select.innerHTML = '<option value="">None: give a case number</option>';
    const docked = tile.incident;
    state.incidents.forEach((incident) => {
      const option = document.createElement("option");
      option.value = String(incident.id);
      option.textContent = "P" + incident.priority + " " + incident.kind + " · " + (incident.address || incident.external_id);
      if (docked === incident.id) option.selected = true;
      select.appendChild(option);
    });
    $("purpose-error").textContent = tile.purposeError || "";
    dialog.dataset.index = String(tile.index);
    dialog.showModal();
  }

  function purposeSubmitted(event) {
    const dialog = $("purpose-dialog");
    const index = Number(dialog.dataset.index);
    if (event.submitter && event.submitter.value === "cancel") {
      // Declined tiles keep their "Open live…" button and are not asked again by themselves.
      purposeQueue.splice(0, purposeQueue.length).forEach((i) => { if (runtime[i]) runtime[i].purposeDeclined = true; });
      return;
    }
    const incident = $("purpose-incident").value;
    const caseNumber = $("purpose-case").value.trim();
    const reason = $("purpose-reason").value.trim();
    if (!incident && !(caseNumber && reason)) {
      event.preventDefault();
      $("purpose-error").textContent = "Choose an open incident, or give a case number and a reason.";
      return;
    }
    const chosen = incident
      ? { purpose: reason || "Incident " + $("purpose-incident").selectedOptions[0].textContent, incident: Number(incident) }
      : { purpose: reason, case_number: caseNumber };
    const targets = $("purpose-all").checked ? purposeQueue.splice(0, purposeQueue.length) : [index];
    if (!targets.includes(index)) targets.push(index);
    targets.forEach((i) => {
      const cameraId = state.tiles[i];
      if (!cameraId) return;
      setPurpose(cameraId, chosen);
      runtime[i].purposeError = null;
      const at = purposeQueue.indexOf(i);
      if (at >= 0) purposeQueue.splice(at, 1);
      renderTile(runtime[i]);
    });
    setTimeout(openPurposeDialog, 0);
  }

  function closeViewing(cameraId) {
    const camera = state.cameras.get(cameraId);
    if (camera && camera.kind !== "public" && purposeFor(cameraId)) {
      api("DELETE", "/api/v1/cameras/" + cameraId + "/live/").catch(() => null);
    }
  }

  // ---------- focus and keyboard ----------
  function setFocus(index) {
    const previous = state.focus;
    state.focus = Math.max(0, Math.min(index, state.tiles.length - 1));
    if (runtime[previous]) runtime[previous].el.classList.remove("focused");
    runtime[state.focus].el.classList.add("focused");
    runtime[state.focus].el.focus({ preventScroll: false });
  }

  function toggleEnlarge(index) {
    state.enlarged = state.enlarged === index ? null : index;
    gridEl.classList.toggle("has-enlarged", state.enlarged !== null);
    runtime.forEach(renderTile);
  }

  function onKey(event) {
    if (event.target.closest("input, select, textarea, dialog")) return;
    const side = state.grid;
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -side, ArrowDown: side };
    if (event.key in moves) {
      event.preventDefault();
      const next = state.focus + moves[event.key];
      if (next >= 0 && next < state.tiles.length) setFocus(next);
    } else if (event.key === "Enter") {
      event.preventDefault();
      toggleEnlarge(state.focus);
    } else if (event.key === "Escape" && state.enlarged !== null) {
      toggleEnlarge(state.enlarged);
    } else if (/^[1-9]$/.test(event.key) && Number(event.key) <= GRIDS.length) {
      setGrid(GRIDS[Number(event.key) - 1]);
    }
  }

  // ---------- camera list ----------
  // Items are kept and updated in place: a status event must not pull an item from under the pointer.
  const listItems = new Map();

  function renderList() {
    const list = $("camera-list");
    const query = $("camera-search").value.trim().toLowerCase();
    listItems.forEach((item, id) => {
      if (!state.cameras.has(id)) { item.remove(); listItems.delete(id); }
    });
    state.cameras.forEach((camera) => {
      let item = listItems.get(camera.id);
      if (!item) {
        item = document.createElement("li");
        item.draggable = true;
        item.dataset.cameraId = String(camera.id);
        item.title = "Drag onto a tile, or click to put on the focused tile";
        item.append(document.createElement("span"), document.createElement("span"));
        item.lastChild.className = "status";
        item.addEventListener("dragstart", (event) => {
          event.dataTransfer.setData("text/x-camera-id", String(camera.id));
        });
        item.addEventListener("click", () => placeCamera(camera.id));
        listItems.set(camera.id, item);
      }
      item.dataset.kind = cameraColour(camera);
      item.firstChild.textContent = camera.name;
      item.lastChild.textContent = camera.live ? camera.status : "not shared live";
      const text = (camera.name + " " + (camera.address || "")).toLowerCase();
      item.hidden = Boolean(query) && !text.includes(query);
      if (item.parentNode !== list) list.appendChild(item);
    });
  }

  function placeCamera(cameraId, incidentId) {
    const empty = state.tiles.indexOf(null);
    const index = state.tiles[state.focus] === null || empty < 0 ? state.focus : empty;
    if (incidentId) runtime[index].incident = incidentId;
    putCamera(index, cameraId);
    setFocus(Math.min(index + 1, state.tiles.length - 1));
  }

  function cameraColour(camera) {
    if (!camera.live) return "registry";
    if (camera.status === "live") return "live";
    if (camera.status === "starting" || camera.status === "stalled" || camera.status === "backoff") return "warn";
    return "offline";
  }

  // ---------- map ----------
  const COLOURS = { live: "#3ecf8e", warn: "#f5b942", offline: "#ff6b6b", registry: "#8b98a5" };
  let map = null;
  const markers = new Map();
  const incidentMarkers = new Map();

  function initMap() {
    if (!window.L) return;
    map = L.map("map", { zoomControl: true, attributionControl: true }).setView(config.centre, 14);
    // With no internet the tiles fail to load; the markers are drawn anyway.
    L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: "© OpenStreetMap contributors" }).addTo(map);
  }

  function renderMap() {
    if (!map) return;
    const seen = new Set();
    state.cameras.forEach((camera) => {
      seen.add(camera.id);
      const colour = COLOURS[cameraColour(camera)];
      let marker = markers.get(camera.id);
      if (!marker) {
        marker = L.circleMarker([camera.lat, camera.lon], { radius: 7, weight: 2 }).addTo(map);
        marker.on("click", () => placeCamera(camera.id));
        markers.set(camera.id, marker);
      }
      marker.setLatLng([camera.lat, camera.lon]);
      marker.setStyle({ color: colour, fillColor: colour, fillOpacity: 0.8 });
      marker.bindTooltip(camera.name + " · " + (camera.live ? camera.status : "not shared live"));
      const element = marker.getElement && marker.getElement();
      if (element) {
        element.classList.add("camera-marker");
        element.dataset.cameraId = String(camera.id);
        element.dataset.kind = cameraColour(camera);
      }
    });
    markers.forEach((marker, id) => {
      if (!seen.has(id)) { marker.remove(); markers.delete(id); }
    });
  }

  // ---------- incidents ----------
  function renderIncidents() {
    const box = $("incidents");
    box.innerHTML = "";
    state.incidents.forEach((incident) => {
      const card = document.createElement("article");
      card.className = "incident";
      card.dataset.incidentId = String(incident.id);
      card.dataset.priority = String(incident.priority);
      const title = document.createElement("h3");
      title.textContent = "P" + incident.priority + " " + incident.kind;
      const where = document.createElement("p");
      where.textContent = (incident.address || "") + " · CAD " + incident.external_id;
      const docked = document.createElement("ul");
      docked.className = "docked";
      incident.cameras.forEach((entry) => {
        const camera = state.cameras.get(entry.id);
        const item = document.createElement("li");
        item.dataset.cameraId = String(entry.id);
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = (camera ? camera.name : "Camera " + entry.id) + " · " + Math.round(entry.distance_m) + " m";
        button.addEventListener("click", () => placeCamera(entry.id, incident.id));
        item.appendChild(button);
        docked.appendChild(item);
      });
      if (!incident.cameras.length) {
        const none = document.createElement("li");
        none.className = "muted";
        none.textContent = "No live camera within range.";
        docked.appendChild(none);
      }
      const show = document.createElement("button");
      show.type = "button";
      show.className = "show-all";
      show.textContent = "Show on wall";
      show.disabled = !incident.cameras.length;
      show.addEventListener("click", () => showIncident(incident));
      card.append(title, where, docked, show);
      box.appendChild(card);
      if (map) {
        let marker = incidentMarkers.get(incident.id);
        if (!marker) {
          marker = L.circleMarker([incident.lat, incident.lon], { radius: 11, color: "#ff3b3b", weight: 3, fill: false }).addTo(map);
          incidentMarkers.set(incident.id, marker);
        }
        marker.bindTooltip(title.textContent);
      }
    });
    incidentMarkers.forEach((marker, id) => {
      if (!state.incidents.has(id)) { marker.remove(); incidentMarkers.delete(id); }
    });
  }

  function showIncident(incident) {
    const ids = incident.cameras.map((entry) => entry.id);
    const size = GRIDS.find((grid) => grid * grid >= ids.length) || GRIDS[GRIDS.length - 1];
    setGrid(size, ids);
    runtime.forEach((tile) => { tile.incident = incident.id; });
    if (map) map.setView([incident.lat, incident.lon], 16);
  }

  // ---------- layouts ----------
  let layouts = [];
  async function loadLayouts(selectId) {
    const response = await api("GET", "/wall/layouts/").catch(() => null);
    if (!response || !response.ok) return;
    layouts = response.data.layouts;
    const select = $("layout-select");
    select.innerHTML = '<option value="">Saved layouts…</option>';
    layouts.forEach((layout) => {
      const option = document.createElement("option");
      option.value = String(layout.id);
      option.textContent = layout.name + (layout.shared ? " (agency)" : "");
      if (layout.id === selectId) option.selected = true;
      select.appendChild(option);
    });
  }

  function layoutStatus(text, bad) {
    const status = $("layout-status");
    status.textContent = text;
    status.classList.toggle("error", Boolean(bad));
  }

  async function saveLayout() {
    const name = $("layout-name").value.trim();
    if (!name) { layoutStatus("Name the layout first.", true); return null; }
    const shared = $("layout-shared") ? $("layout-shared").checked : false;
    const response = await api("POST", "/wall/layouts/", { name, grid: state.grid, tiles: state.tiles, shared });
    if (!response.ok) { layoutStatus(reasonOf(response.data, "Not saved."), true); return null; }
    layoutStatus("Saved “" + name + "”.");
    await loadLayouts(response.data.id);
    return response.data;
  }

  async function pushLayout() {
    const layout = await saveLayout();
    if (!layout) return;
    const response = await api("POST", "/wall/layouts/" + layout.id + "/push/");
    layoutStatus(response.ok ? "Pushed “" + layout.name + "” to every wall." : reasonOf(response.data, "Not pushed."), !response.ok);
  }

  function applyPushed(pushed) {
    if (!pushed) return;
    // Only a push this wall has not applied yet replaces what the dispatcher arranged.
    if (Number(localStorage.getItem("rtcc.pushed") || 0) >= pushed.id) return;
    localStorage.setItem("rtcc.pushed", String(pushed.id));
    setGrid(pushed.grid, pushed.tiles);
    layoutStatus("Wall set by " + (pushed.pushed_by || "a supervisor") + ": “" + pushed.name + "”.");
  }

  // ---------- WebSocket ----------
  let socket = null;
  let reconnectDelay = 1000;

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/wall/");
    setConn("connecting", "Connecting…");
    socket.onopen = () => { reconnectDelay = 1000; };
    socket.onmessage = (message) => {
      let event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      handle(event);
    };
    socket.onclose = (event) => {
      state.connected = false;
      if (event.code === 4401) { location.href = "/accounts/login/?next=/wall/"; return; }
      if (event.code === 4403) { setConn("closed", "Your role does not watch video."); return; }
      setConn("lost", "Connection lost; reconnecting…");
      setTimeout(connect, reconnectDelay);
      reconnectDelay = Math.min(15000, reconnectDelay * 2);
    };
  }

  function setConn(kind, text) {
    const conn = $("conn");
    conn.dataset.state = kind;
    conn.textContent = text;
  }

  const handlers = {
    state(event) {
      state.clockOffset = Date.parse(event.server_time) - Date.now();
      state.cameras = new Map(event.cameras.map((camera) => [camera.id, camera]));
      state.incidents = new Map(event.incidents.map((incident) => [incident.id, incident]));
      state.connected = true;
      setConn("live", "Connected · " + event.cameras.length + " cameras");
      applyPushed(event.pushed);
      renderIncidents();
      renderAll();
    },
    "camera.status"(event) {
      const camera = state.cameras.get(event.camera_id);
      if (!camera) return;
      Object.assign(camera, {
        status: event.status,
        status_reason: event.status_reason || "",
        last_frame_at: event.last_frame_at || camera.last_frame_at,
        snapshot_version: event.snapshot_version ?? camera.snapshot_version,
      });
      cameraChanged(camera.id);
    },
    "camera.snapshot"(event) {
      const camera = state.cameras.get(event.camera_id);
      if (!camera) return;
      camera.snapshot_version = event.snapshot_version;
      if (event.last_frame_at) camera.last_frame_at = event.last_frame_at;
      cameraChanged(camera.id);
    },
    "camera.update"(event) {
      state.cameras.set(event.camera.id, event.camera);
      if (!event.camera.live) setPurpose(event.camera.id, null);
      cameraChanged(event.camera.id);
    },
    "camera.removed"(event) {
      state.cameras.delete(event.camera_id);
      setPurpose(event.camera_id, null);
      cameraChanged(event.camera_id);
    },
    "incident.opened"(event) {
      state.incidents.set(event.incident.id, event.incident);
      renderIncidents();
      // The most urgent calls take the map to them, as dispatchers expect.
      if (map && event.incident.priority <= 2) map.setView([event.incident.lat, event.incident.lon], 16);
    },
    "incident.closed"(event) {
      state.incidents.delete(event.incident.id);
      renderIncidents();
      // Sessions opened for the incident ended on the server: ask again for those cameras.
      const ended = new Set();
      Object.keys(sessionStorage).filter((key) => key.startsWith("rtcc.purpose.")).forEach((key) => {
        const cameraId = Number(key.slice("rtcc.purpose.".length));
        const purpose = purposeFor(cameraId);
        if (purpose && purpose.incident === event.incident.id) {
          sessionStorage.removeItem(key);
          ended.add(cameraId);
        }
      });
      runtime.forEach((tile) => {
        if (tile.incident === event.incident.id) tile.incident = null;
        if (ended.has(tile.cameraId)) { stopPlayer(tile); tile.purposeDeclined = false; renderTile(tile); }
      });
    },
    "layout.pushed"(event) { applyPushed(event.layout); },
  };

  function handle(event) {
    const handler = handlers[event.type];
    if (handler) handler(event);
  }

  function cameraChanged(cameraId) {
    runtime.forEach((tile) => { if (state.tiles[tile.index] === cameraId || tile.cameraId === cameraId) renderTile(tile); });
    renderList();
    renderMap();
  }

  // ---------- visibility ----------
  const observer = new IntersectionObserver((entries) => {
    entries.forEach((entry) => {
      const tile = runtime[Number(entry.target.dataset.index)];
      if (!tile || tile.el !== entry.target) return;
      const visible = entry.isIntersecting;
      if (visible !== tile.visible) { tile.visible = visible; renderTile(tile); }
    });
  });
  document.addEventListener("visibilitychange", () => runtime.forEach(renderTile));

  // ---------- start ----------
  document.querySelectorAll(".grid-button").forEach((button) => {
    button.addEventListener("click", () => setGrid(Number(button.dataset.grid)));
  });
  document.addEventListener("keydown", onKey);
  $("camera-search").addEventListener("input", renderList);
  $("purpose-form").addEventListener("submit", purposeSubmitted);
  $("layouts").addEventListener("submit", (event) => { event.preventDefault(); saveLayout(); });
  $("layout-select").addEventListener("change", () => {
    const layout = layouts.find((entry) => String(entry.id) === $("layout-select").value);
    if (layout) { $("layout-name").value = layout.name; setGrid(layout.grid, layout.tiles); }
  });
  $("layout-delete").addEventListener("click", async () => {
    const id = $("layout-select").value;
    if (!id) return;
    const response = await api("DELETE", "/wall/layouts/" + id + "/");
    layoutStatus(response.ok ? "Deleted." : reasonOf(response.data, "Not deleted."), !response.ok);
    loadLayouts();
  });
  if ($("layout-push")) $("layout-push").addEventListener("click", pushLayout);

  loadLocal();
  initMap();
  setGrid(state.grid, state.tiles);
  loadLayouts();
  connect();
  setInterval(watchdog, 1000);
  setInterval(() => { if (!$("purpose-dialog").open && purposeQueue.length) openPurposeDialog(); }, 1000);

  // For tests and operators: players and their latency, read-only.
  window.rtccWall = {
    state,
    tiles: runtime,
    latency() {
      return runtime.filter((tile) => tile.hls && tile.hls.playingDate).map((tile) => ({
        camera: tile.cameraId,
        playingDateLag: (Date.now() - tile.hls.playingDate.getTime()) / 1000,
        hlsLatency: tile.hls.latency,
      }));
    },
  };
})();
