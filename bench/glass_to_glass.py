"""Glass-to-glass latency of a relayed wall tile, read from the picture itself.

A simulated edge device stamps its wall clock into every frame as it is made: a strip of
32 black-or-white blocks along the top, the binary milliseconds of `time(0)` modulo 2^32
(ffmpeg's `geq`). The frames go the product's whole way: x264, SRT with AES-256 to a relay
node, stream copy to HLS, the media endpoints with their per-request checks, hls.js in
headless Chromium. The page decodes the strip of each frame it presents
(`requestVideoFrameCallback` into a canvas) and subtracts it from `Date.now()`: camera
clock to screen, on one machine's clock. hls.js's own `hls.latency` (distance behind the
live edge, which does not count the camera, SRT or segmenting) is sampled beside it.

The same page then plays the same relay through the wall's video socket (/ws/live/: the
relay's fragmented MP4 through Redis streams and the web tier into Media Source
Extensions, with the wall's own player module), alternating with hls.js run by run: the
hls.js runs are the baseline the socket is compared against. "behind_edge" is then the
player's buffered video ahead of the picture.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._django import contracted_agency, setup_django

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SAMPLE_S = 10.0
RUNS = 5
TRANSPORTS = ("hls.js", "socket")  # socket: the wall video socket into MSE (static/wall/mse_player.js)
STRIP = (
    "color=c=black:s=320x12:r=15,format=gray,"
    "geq=lum='255*mod(floor(mod(time(0)*1000\\,4294967296)/pow(2\\,31-floor(X/10)))\\,2)'[clock];"
    "[0:v][clock]overlay=0:0:shortest=1"
)
PLAYER = """
async ([cameraId, sampleMs, transport]) => {
  const csrf = document.cookie.split('; ').find(c => c.startsWith('csrftoken='))?.split('=')[1];
  const answer = await fetch(`/api/v1/cameras/${cameraId}/live/`, {
    method: 'POST', credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
    body: JSON.stringify({purpose: 'latency benchmark'}),
  });
  if (!answer.ok) throw new Error(`live URL refused: ${answer.status} ${await answer.text()}`);
  const {hls_url} = await answer.json();
  const video = Object.assign(document.createElement('video'), {muted: true, autoplay: true, playsInline: true});
  document.body.appendChild(video);
  let player, behind;
  if (transport === 'socket') {
    // The wall's own player and socket modules, as the tiles use them.
    const main = document.querySelector('script[type=module][src*="wall/main.js"]').src;
    const {MsePlayer} = await import(new URL('mse_player.js', main).href);
    player = new MsePlayer(video, cameraId, () => {}, (reason) => { throw new Error(reason); });
    player.start(hls_url);
    behind = () => player.latency;
  } else {
    const tuning = JSON.parse(document.getElementById('wall-config').textContent).hls;  // the wall's own
    player = new Hls(tuning);
    player.loadSource(hls_url);
    player.attachMedia(video);
    behind = () => player.latency;
  }
  let stalls = 0; video.addEventListener('waiting', () => stalls++);
  const canvas = Object.assign(document.createElement('canvas'), {width: 320, height: 12});
  const context = canvas.getContext('2d', {willReadFrequently: true});
  const glass = [], behindEdge = [];
  await new Promise(resolve => video.addEventListener('playing', resolve, {once: true}));
  await new Promise(resolve => setTimeout(resolve, 3000));  // let the player settle at the edge
  stalls = 0;  // count only the stalls while sampling, not the start
  const until = performance.now() + sampleMs;
  await new Promise(resolve => {
    const onFrame = () => {
      const now = Date.now();
      context.drawImage(video, 0, 0, 320, 12, 0, 0, 320, 12);
      const row = context.getImageData(0, 6, 320, 1).data;
      let stamp = 0;
      for (let k = 0; k < 32; k++) stamp = stamp * 2 + (row[(10 * k + 5) * 4] > 128 ? 1 : 0);
      const lag = ((now % 4294967296) - stamp + 4294967296) % 4294967296;
      if (lag < 60000) glass.push(lag / 1000);
      const edge = behind();
      if (Number.isFinite(edge)) behindEdge.push(edge);
      if (performance.now() < until) video.requestVideoFrameCallback(onFrame); else resolve();
    };
    video.requestVideoFrameCallback(onFrame);
  });
  player.destroy();
  video.remove();
  return {glass, behindEdge, stalls};
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bench_dispatcher(agency):
    """The agency's dispatcher "bench-dispatcher" with an authenticator, which is returned. Django is set up."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies.models import Membership

    user = get_user_model().objects.create_user("bench-dispatcher", password="bench-password-1")
    Membership.objects.create(user=user, agency=agency, role=Membership.Role.DISPATCHER)
    return TOTPDevice.objects.create(user=user, name="bench", confirmed=True)


def node_and_web(var_dir: str) -> tuple[int, list[subprocess.Popen]]:
    """A relay node and daphne on a free port, on the benchmark's database: (port, [node, web])."""
    from django.conf import settings

    env = {**os.environ, "RTCC_VAR_DIR": var_dir, "LOG_LEVEL": "WARNING"}
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    port = free_port()
    return port, [
        subprocess.Popen([sys.executable, manage, "relay_node", "--name", "bench"], env=env, start_new_session=True),
        subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "rtcc.asgi:application"],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ),
    ]  # fmt: skip


def sign_in(page, port: int, username: str, password: str, authenticator) -> None:
    """Sign in through the sign-in page (password and the TOTP code) and land on the wall."""
    from django_otp.oath import totp

    page.goto(f"http://127.0.0.1:{port}/accounts/login/?next=/wall/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.fill("#id_otp_token", f"{totp(authenticator.bin_key):06d}")
    page.click("button[type=submit]")
    page.wait_for_url("**/wall/")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.3)


def run(scale: int) -> list[dict]:
    if not Path(CHROMIUM).exists():
        return [{"skipped": f"no Chromium at {CHROMIUM}"}]
    var_dir = setup_django()

    from django.conf import settings
    from playwright.sync_api import sync_playwright

    from cameras.models import Camera
    from rtcc.embedded_redis import EmbeddedRedis
    from rtcc.ffmpeg import find_ffmpeg

    redis = EmbeddedRedis(settings.EMBEDDED_REDIS_SOCKET).start()
    agency = contracted_agency()
    camera = Camera.objects.create(
        agency=agency, name="clock", kind=Camera.Kind.PUBLIC, source=Camera.Source.PUSH, lat=41.88, lon=-87.63
    )
    authenticator = bench_dispatcher(agency)
    # The node relays only this camera: it takes the first port of its range.
    host, srt_port = settings.RTCC_SRT_HOST, settings.RTCC_SRT_PORT_RANGE[0]
    query = f"mode=caller&passphrase={camera.srt_passphrase}&pbkeylen=32&streamid={camera.stream_id}"
    device_argv = [
        find_ffmpeg().path, "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
        "-i", "testsrc2=size=320x240:rate=15", "-filter_complex", STRIP,
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p",
        "-f", "mpegts", f"srt://{host}:{srt_port}?{query}",
    ]  # fmt: skip
    port, children = node_and_web(var_dir)
    device = None
    try:

        def device_running():
            nonlocal device
            if device is None or device.poll() is not None:
                device = subprocess.Popen(device_argv, stdin=subprocess.DEVNULL, start_new_session=True)
            camera.refresh_from_db(fields=["status"])
            return camera.status == Camera.Status.LIVE

        wait_for(device_running, 60, "the relayed camera going live")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            sign_in(page, port, "bench-dispatcher", "bench-password-1", authenticator)
            sample_ms = int(SAMPLE_S * 1000 * max(scale, 1))
            # Alternating, so that each socket run has an hls.js run beside it on the same relay.
            samples = [
                (run_number, transport, page.evaluate(PLAYER, [camera.pk, sample_ms, transport]))
                for run_number in range(1, RUNS + 1)
                for transport in TRANSPORTS
            ]
            browser.close()
    finally:
        for child in [*children, device]:
            if child is not None and child.poll() is None:
                child.terminate()
                child.wait(15)
        redis.stop()
    rows = [summary(f"{transport} run {run_number}", [taken]) for run_number, transport, taken in samples]
    overall = {
        transport: summary(
            f"{transport} all runs", [taken for _, kind, taken in samples if kind == transport]
        )
        for transport in TRANSPORTS
    }
    socket_row, hls_row = overall["socket"], overall["hls.js"]
    socket_row["ratio_median_to_hlsjs"] = round(socket_row["glass_median_s"] / hls_row["glass_median_s"], 2)
    return [*rows, hls_row, socket_row]


def summary(label: str, runs: list[dict]) -> dict:
    glass = [value for taken in runs for value in taken["glass"]]
    edge = [value for taken in runs for value in taken["behindEdge"]]
    if not glass:
        raise RuntimeError(f"{label}: the page presented no frame it could read")
    return {
        "path": label,
        "frames": len(glass),
        "stalls": sum(taken["stalls"] for taken in runs),
        "glass_median_s": round(statistics.median(glass), 2),
        "glass_p95_s": round(percentile(glass, 0.95), 2),
        "behind_edge_median_s": round(statistics.median(edge), 2) if edge else None,
    }
