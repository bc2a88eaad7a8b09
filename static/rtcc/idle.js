// The idle lock's courtesy: warn before the server ends an idle session, and tell the server
// when the person is active. The rule itself is the server's (agencies/signin/middleware.py):
// this module only keeps an active person signed in and says what is coming.

const ACTIVITY_URL = "/accounts/activity/";
const LOGIN_URL = "/accounts/login/";
const PING_EVERY_MS = 60 * 1000; // activity is reported at most this often
const RECHECK_MS = 10 * 1000; // while warning, ask the server again (another tab may have been active)
const EVENTS = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart", "scroll"];

let secondsLeft = null;
let warningSeconds = 120;
let checkedAt = Date.now();
let lastPing = 0;
let lastRecheck = 0;
let banner = null;
let leaving = false; // a form is being sent (signing out, say): its answer decides where to go

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function ask(method) {
  let data;
  try {
    const response = await fetch(ACTIVITY_URL, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
    data = await response.json();
  } catch (error) {
    return; // offline for a moment: the next tick asks again
  }
  if (!data.signed_in) {
    signedOut();
    return;
  }
  secondsLeft = data.seconds_left;
  warningSeconds = data.warning_seconds || warningSeconds;
  checkedAt = Date.now();
}

function remaining() {
  return secondsLeft - (Date.now() - checkedAt) / 1000;
}

function signedOut() {
  if (leaving) return;
  const here = location.pathname + location.search;
  location.assign(LOGIN_URL + "?next=" + encodeURIComponent(here));
}

function showWarning(left) {
  if (!banner) {
    banner = document.createElement("div");
    banner.className = "idle-warning";
    banner.setAttribute("role", "alert");
    document.body.append(banner);
  }
  const minutes = Math.floor(left / 60);
  const seconds = String(Math.floor(left % 60)).padStart(2, "0");
  banner.textContent =
    `You will be signed out in ${minutes}:${seconds} for inactivity. ` +
    "Move the mouse or press a key to stay signed in.";
  banner.hidden = false;
}

function hideWarning() {
  if (banner) banner.hidden = true;
}

function onActivity() {
  const warning = banner && !banner.hidden;
  if (!warning && Date.now() - lastPing < PING_EVERY_MS) return;
  lastPing = Date.now();
  ask("POST").then(() => {
    if (secondsLeft !== null && remaining() > warningSeconds) hideWarning();
  });
}

async function tick() {
  if (secondsLeft === null) return;
  if (remaining() <= warningSeconds && Date.now() - lastRecheck >= RECHECK_MS) {
    lastRecheck = Date.now();
    await ask("GET");
  }
  const left = remaining();
  if (left <= 0) signedOut();
  else if (left <= warningSeconds) showWarning(left);
  else hideWarning();
}

addEventListener("submit", () => { leaving = true; }, true);
addEventListener("pageshow", () => { leaving = false; });
for (const name of EVENTS) addEventListener(name, onActivity, { passive: true, capture: true });
ask("GET");
setInterval(tick, 1000);
