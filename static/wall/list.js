/* The camera list: every camera the user may know of, filtered as the dispatcher types.
 *
 * Every item takes focus: Enter (or Space) puts the camera on the selected tile, the arrows
 * move along the list, and Enter in the search box takes the first camera that matches.
 */

import { cameraColour, cameraStatusText } from "./cameras.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";

// Items are kept and updated in place: a status event must not pull an item from under the pointer.
const items = new Map();
let pick = () => {};
let assign = () => {};

function visibleItems() {
  return [...$("camera-list").children].filter((item) => !item.hidden);
}

function onItemKey(event, cameraId) {
  const item = event.currentTarget;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    assign(cameraId);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    const shown = visibleItems();
    const next = shown[shown.indexOf(item) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) next.focus();
    else if (event.key === "ArrowUp") $("camera-search").focus();
  } else if (event.key === "Escape") {
    $("camera-search").focus();
  }
}

function onSearchKey(event) {
  if (event.key === "Enter") {
    event.preventDefault();
    const first = visibleItems()[0];
    if (first) assign(Number(first.dataset.cameraId));
  } else if (event.key === "ArrowDown") {
    event.preventDefault();
    const first = visibleItems()[0];
    if (first) first.focus();
  }
}

export function renderList() {
  const list = $("camera-list");
  const query = $("camera-search").value.trim().toLowerCase();
  items.forEach((item, id) => {
    if (!state.cameras.has(id)) { item.remove(); items.delete(id); }
  });
  let shown = 0;
  state.cameras.forEach((camera) => {
    let item = items.get(camera.id);
    if (!item) {
      item = el("li", {
        draggable: true,
        tabIndex: 0,
        title: "Drag onto a tile, or click (Enter) to put on the selected tile",
        data: { cameraId: camera.id },
      }, [el("span", { className: "name" }), el("span", { className: "status" })]);
      item.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData("text/x-camera-id", String(camera.id));
      });
      item.addEventListener("click", () => pick(camera.id));
      item.addEventListener("keydown", (event) => onItemKey(event, camera.id));
      items.set(camera.id, item);
    }
    item.dataset.kind = cameraColour(camera);
    item.firstChild.textContent = camera.shared_by ? camera.name + " (shared by " + camera.shared_by + ")" : camera.name;
    item.lastChild.textContent = cameraStatusText(camera);
    const text = (camera.name + " " + (camera.address || "")).toLowerCase();
    item.hidden = Boolean(query) && !text.includes(query);
    if (!item.hidden) shown += 1;
    if (item.parentNode !== list) list.appendChild(item);
  });
  $("camera-count").textContent = query ? shown + " of " + state.cameras.size + " match" : state.cameras.size + " cameras";
}

/** `onPick(cameraId)`: a click on a camera; `onAssign(cameraId)`: Enter on one (or in the search). */
export function initList(onPick, onAssign) {
  pick = onPick;
  assign = onAssign;
  $("camera-search").addEventListener("input", renderList);
  $("camera-search").addEventListener("keydown", onSearchKey);
}
