/* The camera list: searched on the server, a page at a time, nearest the map's centre first.
 *
 * The wall never downloads every camera: the list asks GET /api/v1/cameras/?q=…&around=…
 * (cameras/search.py) as the dispatcher types or moves the map, and "More cameras" asks the
 * next page. A camera the wall subscribes to shows its live state; any other its row's.
 *
 * Every item takes focus: Enter (or Space) puts the camera on the selected tile, the arrows
 * move along the list, and Enter in the search box takes the first camera that matches.
 */

import { cameraColour, cameraStatusText } from "./cameras.js";
import { $, el } from "./dom.js";
import { api } from "./http.js";
import { mapCentre } from "./map.js";
import { config, state } from "./state.js";

const PAGE_SIZE = 50;
const TYPING_SETTLE_MS = 200;

// Items are kept and updated in place: a status event must not pull an item from under the pointer.
const items = new Map(); // camera id -> <li>
const rows = new Map(); // camera id -> the search's row for it
let pick = () => {};
let assign = () => {};
let next = null; // the next page's address, if any
let searching = null; // the search under way: {controller, done}
let timer = null;

function shownItems() {
  return [...$("camera-list").children];
}

function onItemKey(event, cameraId) {
  const item = event.currentTarget;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    assign(cameraId);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const shown = shownItems();
    const following = shown[shown.indexOf(item) + (event.key === "ArrowDown" ? 1 : -1)];
    if (following) following.focus();
    else if (event.key === "ArrowUp") $("camera-search").focus();
  } else if (event.key === "Escape") {
    $("camera-search").focus();
  }
}

async function onSearchKey(event) {
  if (event.key === "Enter") {
    event.preventDefault();
    // What was typed is searched first: Enter takes the first match of the words in the box.
    // Only this search's answer: one that failed or gave way to a newer one shows other cameras.
    if (!(await searchNow())) return;
    const first = shownItems()[0];
    if (first) assign(Number(first.dataset.cameraId));
  } else if (event.key === "ArrowDown") {
    event.preventDefault();
    const first = shownItems()[0];
    if (first) first.focus();
  }
}

function makeItem(cameraId) {
  const item = el("li", {
    draggable: true,
    tabIndex: 0,
    title: "Drag onto a tile, or click (Enter) to put on the selected tile",
    data: { cameraId },
  }, [el("span", { className: "name" }), el("span", { className: "status" })]);
  item.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData("text/x-camera-id", String(cameraId));
  });
  item.addEventListener("click", () => pick(cameraId));
  item.addEventListener("keydown", (event) => onItemKey(event, cameraId));
  items.set(cameraId, item);
  return item;
}

/** Redraw the camera's item, if the list shows it, from what the wall knows of it now. */
export function renderListCamera(cameraId) {
  const item = items.get(cameraId);
  const camera = state.cameras.get(cameraId) || rows.get(cameraId);
  if (!item || !camera) return;
  item.dataset.kind = cameraColour(camera);
  // A subscribed camera says whose it is; a search row names its agency.
  const sharedBy = camera.shared_by || (camera.agency_name && camera.agency !== config.agency ? camera.agency_name : null);
  item.firstChild.textContent = sharedBy ? camera.name + " (shared by " + sharedBy + ")" : camera.name;
  item.lastChild.textContent = cameraStatusText(camera);
}

/** The user may no longer see the camera: its item goes. */
export function dropListCamera(cameraId) {
  const item = items.get(cameraId);
  if (item) item.remove();
  items.delete(cameraId);
  rows.delete(cameraId);
}

/** Every item again (after a new state: the subscribed cameras may have changed). */
export function renderList() {
  items.forEach((item, cameraId) => renderListCamera(cameraId));
}

function showPage(data, append) {
  const list = $("camera-list");
  const results = data.results || [];
  // A new page moves or drops items: the keyboard stays where it was, or on the list's first item.
  const focused = list.contains(document.activeElement) ? document.activeElement : null;
  if (!append) {
    rows.clear();
    const kept = new Set(results.map((row) => row.id));
    items.forEach((item, cameraId) => { if (!kept.has(cameraId)) { item.remove(); items.delete(cameraId); } });
  }
  // An item already in its place is not moved: the one under the pointer or the keyboard stays.
  let position = append ? list.children.length : 0;
  for (const row of results) {
    rows.set(row.id, row);
    const item = items.get(row.id) || makeItem(row.id);
    const there = list.children[position];
    if (there !== item) list.insertBefore(item, there || null);
    renderListCamera(row.id);
    position += 1;
  }
  if (focused && document.activeElement !== focused) {
    const stay = list.contains(focused) ? focused : shownItems()[0] || $("camera-search");
    stay.focus({ preventScroll: true });
  }
  next = data.next || null;
  $("camera-more").hidden = !next;
  const query = $("camera-search").value.trim();
  const empty = $("camera-empty");
  empty.hidden = data.count > 0;
  empty.textContent = query ? "No camera you may see matches “" + query + "”." : "No cameras you may see yet.";
  $("camera-count").textContent = query ? data.count + " match" : data.count + " cameras";
}

function searchUrl() {
  const [lat, lon] = mapCentre();
  const params = new URLSearchParams({ around: lat.toFixed(6) + "," + lon.toFixed(6), page_size: String(PAGE_SIZE) });
  const query = $("camera-search").value.trim();
  if (query) params.set("q", query);
  return "/api/v1/cameras/?" + params.toString();
}

async function fetchPage(url, append) {
  if (searching) searching.controller.abort();
  const controller = new AbortController();
  const done = (async () => {
    let answer;
    try {
      answer = await api("GET", url, undefined, controller.signal);
    } catch (error) {
      return false; // aborted by a newer search, or the network is down: the list stays as it was
    }
    if (controller.signal.aborted) return false;
    if (!answer.ok) {
      $("camera-count").textContent = "search failed";
      return false;
    }
    showPage(answer.data, append);
    return true;
  })();
  searching = { controller, done };
  const shown = await done;
  if (searching && searching.done === done) searching = null;
  return shown;
}

/** Search now with what is in the box, around the map's centre. */
export function searchNow() {
  clearTimeout(timer);
  timer = null;
  return fetchPage(searchUrl(), false);
}

/** Search once the dispatcher stops typing, or the map stops moving. */
export function searchSoon() {
  clearTimeout(timer);
  timer = setTimeout(searchNow, TYPING_SETTLE_MS);
}

/** `onPick(cameraId)`: a click on a camera; `onAssign(cameraId)`: Enter on one (or in the search). */
export function initList(onPick, onAssign) {
  pick = onPick;
  assign = onAssign;
  $("camera-search").addEventListener("input", searchSoon);
  $("camera-search").addEventListener("keydown", onSearchKey);
  // While a new search runs, "More" would append the old one's next page to it.
  $("camera-more").addEventListener("click", () => { if (next && !searching) fetchPage(next, true); });
  searchNow();
}
