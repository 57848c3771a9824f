"""Draw the integration's brand images (a lightning bolt on a green tile) as PNGs.

Run once when the design changes: ``.venv/bin/python scripts/make_brand.py``.
Pure standard library, so it runs anywhere.
"""

from __future__ import annotations

from pathlib import Path
import struct
import zlib

OUT = Path(__file__).parents[1] / "custom_components" / "ev_charge_control" / "brand"
GREEN = (22, 163, 74)
WHITE = (255, 255, 255)
# The bolt, in a 0..1 square.
BOLT = [(0.58, 0.10), (0.26, 0.56), (0.47, 0.56), (0.40, 0.90), (0.74, 0.42), (0.53, 0.42), (0.62, 0.10)]


def _inside(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _in_tile(x: float, y: float, radius: float = 0.18) -> bool:
    cx = min(max(x, radius), 1 - radius)
    cy = min(max(y, radius), 1 - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius**2


def draw(size: int) -> bytes:
    rows = []
    samples = ((0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75))  # 4x antialiasing
    for py in range(size):
        row = bytearray([0])  # filter: none
        for px in range(size):
            color = [0.0, 0.0, 0.0, 0.0]
            for sx, sy in samples:
                x, y = (px + sx) / size, (py + sy) / size
                if not _in_tile(x, y):
                    continue
                rgb = WHITE if _inside(x, y, BOLT) else GREEN
                for i in range(3):
                    color[i] += rgb[i] / len(samples)
                color[3] += 255 / len(samples)
            alpha = color[3] / 255 or 1
            row += bytes([round(color[0] / alpha), round(color[1] / alpha), round(color[2] / alpha), round(color[3])])
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in (("icon.png", 256), ("icon@2x.png", 512), ("logo.png", 256), ("logo@2x.png", 512)):
        (OUT / name).write_bytes(draw(size))


if __name__ == "__main__":
    main()
