"""The hub's HTTP side, as a box uses it: enroll with the label, heartbeat as the fallback of the
control channel, and the device token kept on disk (mode 0600, replaced atomically)."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path


class HubError(Exception):
    pass


class Hub:
    def __init__(self, url: str, serial: str, claim_code: str, state_dir: Path):
        self.url = url.rstrip("/")
        self.serial, self.claim_code = serial, claim_code
        self.token_file = state_dir / "device-token"
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    @property
    def socket_url(self) -> str:
        scheme, _, rest = self.url.partition("://")
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws/device/"

    def call(self, path: str, body: dict, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Device {token}"
        request = urllib.request.Request(f"{self.url}{path}", json.dumps(body).encode(), headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 -- the configured hub
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[:300]
            raise HubError(f"{path}: HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise HubError(f"{path}: {error}") from None

    def raw(self, method: str, path: str, body: bytes | None = None, headers=None, accept=(200, 204)) -> dict:
        """A request with a raw body; the answer's headers. Statuses in `accept` are not errors."""
        headers = {"Authorization": f"Device {self.token()}", **(headers or {})}
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(f"{self.url}{path}", body, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- the configured hub
                return dict(response.headers)
        except urllib.error.HTTPError as error:
            if error.code in accept:
                return dict(error.headers)
            detail = error.read().decode(errors="replace")[:300]
            raise HubError(f"{path}: HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise HubError(f"{path}: {error}") from None

    def enroll(self) -> dict:
        if not self.serial or not self.claim_code:
            raise HubError("enrolling needs the serial and the claim code on the box's label")
        answer = self.call("/api/v1/devices/enroll/", {"serial": self.serial, "claim_code": self.claim_code})
        self.save_token(answer["device_token"])
        return answer

    def token(self) -> str:
        if self.token_file.exists():
            return self.token_file.read_text().strip()
        return self.enroll()["device_token"]

    def forget_token(self) -> None:
        self.token_file.unlink(missing_ok=True)

    def save_token(self, token: str) -> None:
        # Written beside and renamed over: a crash mid-write never leaves half a token.
        partial = self.token_file.with_suffix(".new")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token)
        partial.replace(self.token_file)

    def heartbeat(self, report: dict) -> dict:
        """POST a heartbeat; enroll again when the hub no longer knows the token (a lost rotation)."""
        try:
            answer = self.call("/api/v1/devices/heartbeat/", report, self.token())
        except HubError as error:
            if "HTTP 401" not in str(error):
                raise
            self.forget_token()
            answer = self.call("/api/v1/devices/heartbeat/", report, self.token())
        if answer.get("device_token"):
            self.save_token(answer["device_token"])
        return answer
