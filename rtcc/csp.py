"""The Content-Security-Policy's per-request part and the reading of violation reports.

The policy itself is in `rtcc/settings.py` (`CONTENT_SECURITY_POLICY`, django-csp); see
docs/ARCHITECTURE.md, "Content-Security-Policy".
"""

import json

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import DisallowedHost

REPORT_MAX_BYTES = 64 * 1024
FIELD_MAX_CHARS = 300

# Report bodies come in two shapes: `report-uri` posts {"csp-report": {...}} with dashed
# keys; the Reporting API posts a list of {"type": "csp-violation", "body": {...}}.
REPORT_URI_KEYS = ("document-uri", "effective-directive", "violated-directive", "blocked-uri", "source-file")
REPORTING_API_KEYS = ("documentURL", "effectiveDirective", "violatedDirective", "blockedURL", "sourceFile")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with WebSocket origins of the page's own host in `connect-src`.

    Browsers that follow CSP Level 3 let `'self'` match ws:/wss: on the same host; older
    ones do not, and the host is only known per request.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        try:
            host = request.get_host()  # checked against ALLOWED_HOSTS, so never a header an attacker chose
        except DisallowedHost:
            return parts
        update = dict(parts.update or {})
        update["connect-src"] = [*update.get("connect-src", []), f"ws://{host}", f"wss://{host}"]
        parts.update = update
        return parts


def describe_violations(body: bytes) -> list[str]:
    """One line for each violation in a report a browser posted; ValueError for anything else."""
    if len(body) > REPORT_MAX_BYTES:
        raise ValueError(f"A report is at most {REPORT_MAX_BYTES} bytes.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ValueError("A report is a JSON document.") from None
    if isinstance(data, dict) and isinstance(data.get("csp-report"), dict):
        reports, keys = [data["csp-report"]], REPORT_URI_KEYS
    elif isinstance(data, list) and all(isinstance(item, dict) for item in data):
        reports = [item["body"] for item in data if isinstance(item.get("body"), dict)]
        keys = REPORTING_API_KEYS
    else:
        raise ValueError("A report has a csp-report object, or is a list of Reporting API reports.")
    if not reports:
        raise ValueError("The report names no violation.")
    return [_describe(report, keys) for report in reports]


def _describe(report: dict, keys: tuple[str, ...]) -> str:
    # The text is the client's: one bounded line, no control characters to forge log lines with.
    document, effective, violated, blocked, source = (
        "".join(char if char.isprintable() else "?" for char in str(report.get(key) or "")[:FIELD_MAX_CHARS])
        for key in keys
    )
    where = f" in {source}:{report.get('line-number') or report.get('lineNumber') or '?'}" if source else ""
    return f"{document}: {effective or violated} refused {blocked or 'inline code'}{where}"
