"""QR codes as inline SVG: no image request, no third party."""

import qrcode
import qrcode.image.svg


def qr_svg(text: str, box_size: int = 8) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size)
    return image.to_string(encoding="unicode")
