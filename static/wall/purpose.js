/* The wall's working purpose: stated once per task, shown in the header, used by every private tile.
 *
 * The server keeps it for the sign-in (/wall/purpose/), so a reload or another grid keeps it.
 * The dialog opens by itself at most once per page, for the first private tile that waits,
 * and never again after "Not now" (or Esc) in this tab: waiting tiles stay quiet placeholders
 * with a button to set it. Each private tile still opens its own viewing session, audited
 * with this purpose; an incident purpose ends when its incident closes.
 */

import { $, option } from "./dom.js";
import { api, reasonOf } from "./http.js";
import { purposeDeclined, setPurposeDeclined, state } from "./state.js";

let changed = () => {};
let askedByItself = false;
let askedFor = null; // the tile whose button opened the dialog, or the first tile waiting

function incidentLabel(incident) {
  return "P" + incident.priority + " " + incident.kind + " · " + (incident.address || incident.external_id);
}

/** What a private tile sends with its live request, or null while no purpose is set. */
export function livePurpose() {
  const purpose = state.purpose;
  if (!purpose) return null;
  return purpose.incident
    ? { purpose: purpose.purpose, incident: purpose.incident }
    : { purpose: purpose.purpose, case_number: purpose.case_number };
}

function renderBar(note) {
  const purpose = state.purpose;
  $("purpose-now").textContent = purpose ? purpose.label : note || "No purpose set: private cameras wait.";
  $("purpose-bar").dataset.set = purpose ? "yes" : "no";
  $("purpose-change").textContent = purpose ? "Change purpose…" : "Set purpose…";
  $("purpose-clear").hidden = !purpose;
}

function setWorking(purpose, note) {
  const before = state.purpose;
  state.purpose = purpose;
  renderBar(note);
  if (JSON.stringify(before) !== JSON.stringify(purpose)) changed();
}

/** A private tile with no purpose: ask by itself once per page, unless the dispatcher said "Not now". */
export function needPurpose(tile) {
  if (askedByItself || purposeDeclined() || state.purpose) return;
  askedByItself = true;
  openDialog(tile);
}

/** The dispatcher asked (a tile's button, the header, the `p` key). */
export function askPurpose(tile) {
  setPurposeDeclined(false);
  openDialog(tile || null);
}

function openDialog(tile) {
  const dialog = $("purpose-dialog");
  if (dialog.open) return;
  askedFor = tile && !tile.disposed ? tile : null;
  const camera = askedFor ? askedFor.camera : null;
  $("purpose-for").hidden = !camera;
  $("purpose-camera").textContent = camera ? camera.name : "";
  const select = $("purpose-incident");
  select.replaceChildren(option("", "None: give a case number"));
  const current = state.purpose && state.purpose.incident;
  const offered = current || (askedFor && askedFor.incident);
  state.incidents.forEach((incident) => {
    const choice = option(incident.id, incidentLabel(incident));
    choice.selected = offered === incident.id;
    select.appendChild(choice);
  });
  if (state.purpose && state.purpose.case_number) {
    $("purpose-case").value = state.purpose.case_number;
    $("purpose-reason").value = state.purpose.purpose;
  }
  $("purpose-error").textContent = "";
  dialog.showModal();
}

function decline() {
  setPurposeDeclined(true);
  renderBar();
}

async function submitted(event) {
  event.preventDefault();
  if (event.submitter && event.submitter.value === "cancel") {
    $("purpose-dialog").close();
    decline();
    return;
  }
  const incident = $("purpose-incident").value;
  const caseNumber = $("purpose-case").value.trim();
  const reason = $("purpose-reason").value.trim();
  if (!incident && !(caseNumber && reason)) {
    $("purpose-error").textContent = "Choose an open incident, or give a case number and a reason.";
    return;
  }
  const body = incident ? { incident: Number(incident), reason } : { case_number: caseNumber, reason };
  const response = await api("PUT", "/wall/purpose/", body).catch(() => null);
  if (!response || !response.ok) {
    $("purpose-error").textContent = reasonOf(response && response.data, "The purpose was not kept; try again.");
    return;
  }
  $("purpose-dialog").close();
  setPurposeDeclined(false);
  setWorking(response.data.purpose);
}

async function clearPurpose() {
  await api("DELETE", "/wall/purpose/").catch(() => null);
  setWorking(null, "Purpose ended: private cameras wait.");
}

/** The server refused the purpose for a live view (its incident closed meanwhile): read it again. */
export async function purposeRefused(reason) {
  const response = await api("GET", "/wall/purpose/").catch(() => null);
  const purpose = response && response.ok ? response.data.purpose : null;
  setWorking(purpose, purpose ? undefined : "Purpose ended: " + reason);
}

/** An incident closed: a purpose that named it ends with it (its sessions ended on the server). */
export function incidentClosed(incidentId) {
  if (state.purpose && state.purpose.incident === incidentId) {
    setWorking(null, "Purpose ended: its incident closed.");
  }
}

/** `onChange()`: the working purpose changed; private tiles reopen under the new one. */
export function initPurpose(onChange) {
  changed = onChange;
  $("purpose-form").addEventListener("submit", submitted);
  // Esc is "Not now" too: the dialog does not come back by itself.
  $("purpose-dialog").addEventListener("cancel", decline);
  $("purpose-change").addEventListener("click", () => askPurpose(null));
  $("purpose-clear").addEventListener("click", clearPurpose);
  renderBar();
}
