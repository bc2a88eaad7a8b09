/* Keys that reach the wall's other panels, and the dialog that lists every key (`?`). */

import { toggleMute } from "./alert.js";
import { $ } from "./dom.js";
import { askPurpose } from "./purpose.js";
import { toggleMapOnTile, toggleMapScreen, toggleSide } from "./view.js";

function openShortcuts() {
  const dialog = $("shortcuts-dialog");
  if (!dialog.open) dialog.showModal();
}

function onKey(event) {
  if (event.target.closest("input, select, textarea, dialog") || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "?") {
    event.preventDefault();
    openShortcuts();
  } else if (event.key === "/") {
    event.preventDefault();
    $("camera-search").focus();
  } else if (event.key === "p") {
    askPurpose(null);
  } else if (event.key === "m") {
    toggleMute();
  } else if (event.key === "s") {
    toggleSide();
  } else if (event.key === "t") {
    toggleMapOnTile();
  } else if (event.key === "f") {
    toggleMapScreen();
  } else if (event.key === "i") {
    const first = document.querySelector("#incidents .incident button:not(:disabled)");
    if (first) first.focus();
  }
}

export function initShortcuts() {
  document.addEventListener("keydown", onKey);
  $("shortcuts-open").addEventListener("click", openShortcuts);
}
