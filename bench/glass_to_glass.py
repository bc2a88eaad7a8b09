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

import contextlib
import statistics
import subprocess

from bench._django import bench_redis, contracted_agency, setup_django
from bench._wall_page import (
    IMPORT_PLAYER,
    OPEN_LIVE,
    dispatcher_with_authenticator,
    has_chromium,
    node_and_web,
    percentile,
    stop,
    wait_for,
    wall_page,
)
from bench.relays import leased_url

SAMPLE_S = 10.0
SETTLE_MS = 3000  # after the first frame, before sampling: the player settles at the edge
RUNS = 5
TRANSPORTS = ("hls.js", "socket")  # socket: the wall video socket into MSE (static/wall/mse_player.js)
STRIP = (
    "color=c=black:s=320x12:r=15,format=gray,"
    "geq=lum='255*mod(floor(mod(time(0)*1000\\,4294967296)/pow(2\\,31-floor(X/10)))\\,2)'[clock];"
    "[0:v][clock]overlay=0:0:shortest=1"
)
PLAYER = (
    """
async ([cameraId, sampleMs, transport, settleMs]) => {"""
    + OPEN_LIVE
    + """
  const video = Object.assign(document.createElement('video'), {muted: true, autoplay: true, playsInline: true});
  document.body.appendChild(video);
  let player, behind, held = () => null, renewTimer = null, closed = null, restarts = 0, renewals = 0;
  if (transport === 'socket') {
"""
    + IMPORT_PLAYER
    + """    // As a wall tile does (static/wall/tile.js): a fatal error starts the player over, counted,
    // and the link is renewed half-way through its life, or the server ends the camera with it.
    const startPlayer = (url) => {
      player = new MsePlayer(video, cameraId, () => {
        restarts++;
        player.destroy();
        startPlayer(url);
      }, (reason) => { closed = reason; });
      player.start(url);
    };
    const {renewLive} = await import(new URL('http.js', main).href);  // the tile's own request
    const renewLater = (expiresAt) => {
      renewTimer = setTimeout(async () => {
        const response = await renewLive(cameraId, player.url);
        if (!response.ok) { closed = `renewal refused: ${response.status}`; return; }
        const renewed = response.data;
        player.renew(renewed.hls_url);
        renewals++;
        renewLater(renewed.expires_at);
      }, Math.max(1000, (Date.parse(expiresAt) - Date.now()) / 2));
    };
    startPlayer(hls_url);
    renewLater(expires_at);
    behind = () => player.latency;
    held = () => {  // seconds of video the SourceBuffer holds: trimmed, it stays a few seconds
      const ranges = player.buffer && player.source ? player.buffer.buffered : null;
      return ranges && ranges.length ? ranges.end(ranges.length - 1) - ranges.start(0) : null;
    };
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
  const glass = [], times = [], behindEdge = [];
  let heldMax = 0;
  await new Promise(resolve => video.addEventListener('playing', resolve, {once: true}));
  await new Promise(resolve => setTimeout(resolve, settleMs));  // let the player settle at the edge
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
      if (lag < 60000) { glass.push(lag / 1000); times.push(performance.now() / 1000); }
      const edge = behind();
      if (Number.isFinite(edge)) behindEdge.push(edge);
      heldMax = Math.max(heldMax, held() || 0);
      if (performance.now() < until && closed === null) video.requestVideoFrameCallback(onFrame); else resolve();
    };
    video.requestVideoFrameCallback(onFrame);
    setTimeout(resolve, sampleMs + 5000);  // frames that stopped coming end the sample, not the run
    const ended = setInterval(() => { if (closed !== null) { clearInterval(ended); resolve(); } }, 500);
  });
  clearTimeout(renewTimer);
  player.destroy();
  video.remove();
  return {glass, times, behindEdge, stalls, restarts, renewals, closed, heldMax};
}
"""
)


@contextlib.contextmanager
def clock_camera_on_wall():
    """A public camera whose device stamps its clock into the picture, relayed and live, and a
    dispatcher's wall page: yields (page, camera). Redis is REDIS_URL's, or embedded."""
    var_dir = setup_django()

    from cameras.models import Camera
    from rtcc.ffmpeg import find_ffmpeg

    with bench_redis():  # before the camera: its save wakes the nodes through Redis
        agency = contracted_agency()
        camera = Camera.objects.create(
            agency=agency,
            name="clock",
            kind=Camera.Kind.PUBLIC,
            source=Camera.Source.PUSH,
            lat=41.88,
            lon=-87.63,
        )
        user, authenticator = dispatcher_with_authenticator(agency)
        encoder = [
            find_ffmpeg().path, "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
            "-i", "testsrc2=size=320x240:rate=15", "-filter_complex", STRIP,
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15", "-pix_fmt", "yuv420p",
            "-f", "mpegts",
        ]  # fmt: skip
        device = None
        try:
            with node_and_web(var_dir) as port:

                def device_running():
                    nonlocal device
                    url = leased_url(camera)  # where the node's lease says to push, as a box is told
                    if url is not None and (device is None or device.poll() is not None):
                        device = subprocess.Popen(
                            [*encoder, url], stdin=subprocess.DEVNULL, start_new_session=True
                        )
                    camera.refresh_from_db(fields=["status"])
                    return camera.status == Camera.Status.LIVE

                wait_for(device_running, 60, "the relayed camera going live")
                with wall_page(port, user, authenticator) as page:
                    yield page, camera
        finally:
            stop([device])


def run(scale: int) -> list[dict]:
    if not has_chromium():
        return [{"skipped": "no Chromium"}]
    sample_ms = int(SAMPLE_S * 1000 * max(scale, 1))
    with clock_camera_on_wall() as (page, camera):
        # Alternating, so that each socket run has an hls.js run beside it on the same relay.
        samples = [
            (run_number, transport, page.evaluate(PLAYER, [camera.pk, sample_ms, transport, SETTLE_MS]))
            for run_number in range(1, RUNS + 1)
            for transport in TRANSPORTS
        ]
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
