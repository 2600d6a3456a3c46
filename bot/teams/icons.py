"""The app's two icons, drawn by code as PNGs (nothing is downloaded or shipped as a binary).

Teams wants a 192×192 colour icon (the app's tile) and a 32×32 outline icon (white on a
transparent background, shown in the app bar). Both draw the same mark: a speech bubble, the
app being a conversation with the DSL team.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

COLOR_SIZE = 192
OUTLINE_SIZE = 32
ACCENT = (0x1F, 0x5F, 0x8B)  # also the manifest's accentColor
WHITE = (0xFF, 0xFF, 0xFF)
Pixel = tuple[int, int, int, int]


def accent_hex() -> str:
    """The accent colour as the manifest writes it, e.g. #1F5F8B."""
    return "#" + "".join(f"{c:02X}" for c in ACCENT)


def color_icon() -> bytes:
    """The 192×192 colour icon: a white bubble on the accent colour."""
    return png(COLOR_SIZE, lambda x, y: (*WHITE, 255) if _bubble(x, y, COLOR_SIZE) else (*ACCENT, 255))


def outline_icon() -> bytes:
    """The 32×32 outline icon: the bubble in white on transparent."""
    return png(OUTLINE_SIZE, lambda x, y: (*WHITE, 255) if _bubble(x, y, OUTLINE_SIZE) else (0, 0, 0, 0))


def _bubble(x: int, y: int, size: int) -> bool:
    """A rounded bubble with a tail at the bottom left, scaled to `size`."""
    u, v = (x + 0.5) / size, (y + 0.5) / size
    inside_body = ((u - 0.5) / 0.36) ** 2 + ((v - 0.44) / 0.28) ** 2 <= 1
    inside_tail = 0.24 <= u <= 0.42 and 0.62 <= v <= 0.84 and (u - 0.24) >= (v - 0.62) * 0.8
    return inside_body or inside_tail


def png(size: int, pixel: Callable[[int, int], Pixel]) -> bytes:
    """A square RGBA PNG of `size` pixels, each from `pixel(x, y)`."""
    rows = b"".join(
        b"\x00" + b"".join(struct.pack("4B", *pixel(x, y)) for x in range(size)) for y in range(size)
    )
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
