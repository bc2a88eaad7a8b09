"""The nginx in front of the hub: one configuration for production, the benchmarks and the tests.

nginx terminates the browsers' connections and spreads them over N web (daphne) processes:
pages, the API and WebSockets pass through; a media request is authorised by a web process,
which answers with `X-Accel-Redirect` (RTCC_MEDIA_ACCEL_REDIRECT=/protected-media/), and
nginx sends the file from MEDIA_ROOT itself. `manage.py nginx_config` prints it for a
deployment (docs/DEPLOY.md); bench/media_auth.py and tests/deploy run it as it is.
"""

from pathlib import Path

# The one URL prefix nginx serves files under, and only when a web process says so.
PROTECTED_MEDIA = "/protected-media/"

SERVER = """
    upstream rtcc_web {{
{upstreams}
        keepalive 32;
    }}
    map $http_upgrade $rtcc_connection {{
        default upgrade;
        ""      "";
    }}
    server {{
        listen {listen};
        server_name {server_name};
        client_max_body_size 2m;
        location / {{
            proxy_pass http://rtcc_web;
            proxy_http_version 1.1;
            # Keep-alive to the web processes, and WebSocket upgrades (/ws/) passed through.
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $rtcc_connection;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # A wall socket stays open for a shift; the server pings it.
            proxy_read_timeout 1h;
            # A web process that is gone (a deploy, a crash): the request goes to the next one.
            proxy_next_upstream error timeout http_502;
        }}
        location /media/ {{
            proxy_pass http://rtcc_web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_buffering off;
            proxy_next_upstream error timeout http_502;
        }}
        location {protected} {{
            internal;  # reachable only through a web process's X-Accel-Redirect
            alias {media_root}/;
            types {{ application/vnd.apple.mpegurl m3u8; video/mp2t ts; video/mp4 mp4 m4s; image/jpeg jpg; }}
            add_header Cache-Control "private, no-store" always;
        }}
{extra}    }}
"""

# A whole nginx.conf for nginx started by hand (benchmarks, tests): everything under `run_dir`.
STANDALONE = """
daemon off;
master_process on;
worker_processes 1;
{user}
pid {run_dir}/nginx.pid;
error_log {run_dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$request_uri $status $upstream_addr';
    access_log {access_log};
    client_body_temp_path {run_dir}/body;
    proxy_temp_path {run_dir}/proxy;
    fastcgi_temp_path {run_dir}/fastcgi;
    uwsgi_temp_path {run_dir}/uwsgi;
    scgi_temp_path {run_dir}/scgi;
{server}
}}
"""


def server_block(
    upstreams: list[str], media_root: Path, *, listen: str = "80", server_name: str = "_", extra: str = ""
) -> str:
    """The `upstream` and `server` blocks of the hub, for the `http` block of an nginx.conf.

    `upstreams`: host:port of each web process. `extra`: more `location` blocks.
    """
    if not upstreams:
        raise ValueError("name at least one web process (host:port)")
    return SERVER.format(
        upstreams="\n".join(f"        server {upstream};" for upstream in upstreams),
        listen=listen,
        server_name=server_name,
        protected=PROTECTED_MEDIA,
        media_root=Path(media_root).resolve(),
        extra=extra,
    )


def standalone_config(
    upstreams: list[str],
    media_root: Path,
    *,
    port: int,
    run_dir: Path,
    as_root: bool,
    log_requests: bool = False,
    extra: str = "",
) -> str:
    """A complete nginx.conf listening on 127.0.0.1:`port`, writing only under `run_dir`.

    With `log_requests`, `run_dir`/access.log names the web process that answered each request.
    """
    return STANDALONE.format(
        user="user root;" if as_root else "",
        run_dir=run_dir,
        access_log=f"{run_dir}/access.log upstream" if log_requests else "off",
        server=server_block(upstreams, media_root, listen=f"127.0.0.1:{port}", extra=extra),
    )
