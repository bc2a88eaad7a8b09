"""The printable sheet of labels: serial, claim code and a QR code of the claim link per box."""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import reverse

from devices.stock import Label
from rtcc.qr import qr_svg


def claim_link(request, label: Label) -> str:
    """The portal's claim page with the serial and code filled in, as the label's QR code carries it."""
    query = urlencode({"serial": label.serial, "code": label.claim_code})
    return request.build_absolute_uri(f"{reverse('portal-device-claim')}?{query}")


def render_label_sheet(request, labels: list[Label], *, title: str):
    """The sheet is the one time these claim codes are shown: nothing is cached or stored."""
    items = [
        {"label": label, "link": claim_link(request, label), "qr": qr_svg(claim_link(request, label), 4)}
        for label in labels
    ]
    response = render(request, "devices/labels.html", {"items": items, "title": title})
    response["Cache-Control"] = "no-store"
    return response
