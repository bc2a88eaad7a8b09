/* The purpose prompt: a private camera opens only with an open incident or a case number.
 *
 * Tiles waiting for a purpose queue here; the dialog asks for the first one and can give the
 * answer to every tile waiting. A tile taken off the wall leaves the queue by itself.
 */

import { $, option } from "./dom.js";
import { purposeFor, setPurpose, state } from "./state.js";

const queue = []; // tiles waiting for a purpose, the one asked about first
let asked = null; // the tile the open dialog asks about

function waiting(tile) {
  const camera = tile.disposed ? null : tile.camera;
  return Boolean(camera) && camera.kind !== "public" && !purposeFor(camera.id);
}

function incidentLabel(incident) {
  return "P" + incident.priority + " " + incident.kind + " · " + (incident.address || incident.external_id);
}

export function queuePurpose(tile) {
  if (!queue.includes(tile)) queue.push(tile);
}

/** Ask about `tile` (first of all when `first`). */
export function askPurpose(tile, first) {
  queuePurpose(tile);
  if (first) {
    queue.splice(queue.indexOf(tile), 1);
    queue.unshift(tile);
  }
  openDialog();
}

function openDialog() {
  const dialog = $("purpose-dialog");
  if (dialog.open) return;
  while (queue.length && !waiting(queue[0])) queue.shift();
  if (!queue.length) return;
  asked = queue[0];
  $("purpose-camera").textContent = asked.camera.name;
  const select = $("purpose-incident");
  select.replaceChildren(option("", "None: give a case number"));
  state.incidents.forEach((incident) => {
    const choice = option(incident.id, incidentLabel(incident));
    choice.selected = asked.incident === incident.id;
    select.appendChild(choice);
  });
  $("purpose-error").textContent = asked.purposeError || "";
  dialog.showModal();
}

function submitted(event) {
  const tile = asked;
  if (event.submitter && event.submitter.value === "cancel") {
    // Declined tiles keep their "Open live…" button and are not asked again by themselves.
    queue.splice(0, queue.length).forEach((declined) => { declined.purposeDeclined = true; });
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
  const targets = $("purpose-all").checked ? queue.splice(0, queue.length) : [tile];
  if (tile && !targets.includes(tile)) targets.push(tile);
  targets.forEach((target) => {
    const at = queue.indexOf(target);
    if (at >= 0) queue.splice(at, 1);
    const camera = target.disposed ? null : target.camera;
    if (!camera) return;
    setPurpose(camera.id, chosen);
    target.purposeError = null;
    target.render();
  });
  setTimeout(openDialog, 0);
}

export function initPurpose() {
  $("purpose-form").addEventListener("submit", submitted);
  setInterval(() => { if (queue.length) openDialog(); }, 1000);
}
