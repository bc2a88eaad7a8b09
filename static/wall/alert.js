/* The sound of a priority-1 call: two short tones made with WebAudio (no file to load), mutable.
 *
 * Browsers start an AudioContext only after a gesture on the page, so it is made (or resumed)
 * on the dispatcher's first key or click; a P1 before that flashes without sound.
 */

import { $ } from "./dom.js";

const MUTE_KEY = "rtcc.wall.muted";
let context = null;
export const sounds = { played: 0 }; // for tests and operators: how many alerts sounded

export function isMuted() {
  return localStorage.getItem(MUTE_KEY) === "1";
}

function renderMute() {
  const button = $("incident-mute");
  const muted = isMuted();
  button.setAttribute("aria-pressed", String(muted));
  button.textContent = muted ? "Sound off" : "Sound on";
  button.title = muted ? "P1 alerts are silent (key m)" : "P1 alerts play a sound (key m)";
}

export function toggleMute() {
  localStorage.setItem(MUTE_KEY, isMuted() ? "0" : "1");
  renderMute();
}

function wake() {
  const Audio = window.AudioContext || window.webkitAudioContext;
  if (!Audio) return;
  if (!context) context = new Audio();
  if (context.state === "suspended") context.resume().catch(() => {});
}

function tone(at, frequency) {
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  oscillator.type = "sine";
  oscillator.frequency.value = frequency;
  // A short envelope: no click at the start or end of the tone.
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.18);
  oscillator.connect(gain).connect(context.destination);
  oscillator.start(at);
  oscillator.stop(at + 0.2);
}

/** Two rising tones, unless muted or the page has had no gesture yet. */
export function soundAlert() {
  if (isMuted() || !context || context.state !== "running") return false;
  const now = context.currentTime;
  tone(now, 880);
  tone(now + 0.25, 1175);
  sounds.played += 1;
  return true;
}

export function initAlert() {
  $("incident-mute").addEventListener("click", toggleMute);
  ["keydown", "pointerdown"].forEach((type) => document.addEventListener(type, wake, { capture: true }));
  renderMute();
}
