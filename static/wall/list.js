/* The camera list: every camera the user may know of, filtered as the dispatcher types. */

import { cameraColour, cameraStatusText } from "./cameras.js";
import { $, el } from "./dom.js";
import { state } from "./state.js";

// Items are kept and updated in place: a status event must not pull an item from under the pointer.
const items = new Map();
let pick = () => {};

export function renderList() {
  const list = $("camera-list");
  const query = $("camera-search").value.trim().toLowerCase();
  items.forEach((item, id) => {
    if (!state.cameras.has(id)) { item.remove(); items.delete(id); }
  });
  state.cameras.forEach((camera) => {
    let item = items.get(camera.id);
    if (!item) {
      item = el("li", {
        draggable: true,
        title: "Drag onto a tile, or click to put on the focused tile",
        data: { cameraId: camera.id },
      }, [el("span", { className: "name" }), el("span", { className: "status" })]);
      item.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData("text/x-camera-id", String(camera.id));
      });
      item.addEventListener("click", () => pick(camera.id));
      items.set(camera.id, item);
    }
    item.dataset.kind = cameraColour(camera);
    item.firstChild.textContent = camera.name;
    item.lastChild.textContent = cameraStatusText(camera);
    const text = (camera.name + " " + (camera.address || "")).toLowerCase();
    item.hidden = Boolean(query) && !text.includes(query);
    if (item.parentNode !== list) list.appendChild(item);
  });
}

/** `onPick(cameraId)`: a click on a camera. */
export function initList(onPick) {
  pick = onPick;
  $("camera-search").addEventListener("input", renderList);
}
