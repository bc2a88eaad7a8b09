"""A relay node, daphne and a dispatcher's wall page in headless Chromium: what the benches
that play tiles stand on (glass_to_glass, first_frame, tile_drift). Django is set up."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PASSWORD = "bench-password-1"

# The wall's own player and socket modules, imported by a page script as the tiles use them.
IMPORT_PLAYER = """
  const main = document.querySelector('script[type=module][src*="wall/main.js"]').src;
  const {MsePlayer} = await import(new URL('mse_player.js', main).href);
"""
# A page script's POST /live/ (a viewing session under a purpose): `hls_url` signs the tile's link
# until `expires_at`.
OPEN_LIVE = """
  const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken='))?.split('=')[1];
  const liveUrl = `/api/v1/cameras/${cameraId}/live/`;
  const answer = await fetch(liveUrl, {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
    body: JSON.stringify({purpose: 'latency benchmark', case_number: 'BENCH-1'}),
  });
  if (!answer.ok) throw new Error(`live URL refused: ${answer.status} ${await answer.text()}`);
  const {hls_url, expires_at} = await answer.json();
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.3)


def has_chromium() -> bool:
    return Path(CHROMIUM).exists()


def dispatcher_with_authenticator(agency, username: str = "bench-dispatcher"):
    """A dispatcher of `agency` with a confirmed TOTP device: (user, device)."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.models import Membership

    user = get_user_model().objects.create_user(username, password=PASSWORD)
    Membership.objects.create(user=user, agency=agency, role=Membership.Role.DISPATCHER)
    return user, TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


def start_node_and_web(var_dir: str, **node_env) -> tuple[int, list[subprocess.Popen]]:
    """A relay node ("bench") and daphne on a free port, on the benchmark's database: (port, [node, web])."""
    from django.conf import settings

    env = {**os.environ, "RTCC_VAR_DIR": var_dir, "LOG_LEVEL": "WARNING"}
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    port = free_port()
    return port, [
        subprocess.Popen(
            [sys.executable, manage, "relay_node", "--name", "bench"], env={**env, **node_env}, start_new_session=True
        ),
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "rtcc.asgi:application"],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip


@contextlib.contextmanager
def node_and_web(var_dir: str, **node_env):
    """`start_node_and_web`, stopped on the way out: yields the port."""
    port, children = start_node_and_web(var_dir, **node_env)
    try:
        yield port
    finally:
        stop(children)


def stop(processes) -> None:
    for child in processes:
        if child is not None and child.poll() is None:
            child.terminate()
            child.wait(15)


def sign_in(page, port: int, user, authenticator) -> None:
    """Sign in through the sign-in page (password and the TOTP code) and land on the wall."""
    from django_otp.oath import totp

    page.goto(f"http://127.0.0.1:{port}/accounts/login/?next=/wall/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.fill("#id_otp_token", f"{totp(authenticator.bin_key):06d}")
    page.click("button[type=submit]")
    page.wait_for_url("**/wall/")


def allow_queries_beside_playwright() -> None:
    # Playwright's sync API keeps an event loop on this thread; the bench's own queries between
    # page steps are still plain synchronous code, one at a time.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@contextlib.contextmanager
def wall_page(port: int, user, authenticator, **page_options):
    """A headless Chromium page signed in to the wall on `port` as `user` (password and TOTP)."""
    from playwright.sync_api import sync_playwright

    allow_queries_beside_playwright()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(**page_options)
            sign_in(page, port, user, authenticator)
            yield page
        finally:
            browser.close()
