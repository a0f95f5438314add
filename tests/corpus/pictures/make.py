"""Draws the corpus's small pictures (run once; the PNGs and SVGs are committed)."""

from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).parent


def png(name: str, size: tuple[int, int], draw: object) -> None:
    image = Image.new("RGB", size, (236, 244, 247))
    draw(ImageDraw.Draw(image), size)  # type: ignore[operator]
    image.save(HERE / name, dpi=(300, 300), optimize=True)


def walking(d: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    d.rectangle((0, int(h * 0.78), w, h), fill=(120, 170, 110))
    d.ellipse((w * 0.45, h * 0.12, w * 0.55, h * 0.27), fill=(60, 60, 80))
    d.line((w * 0.5, h * 0.27, w * 0.5, h * 0.55), fill=(60, 60, 80), width=max(3, w // 60))
    d.line((w * 0.5, h * 0.55, w * 0.42, h * 0.78), fill=(60, 60, 80), width=max(3, w // 60))
    d.line((w * 0.5, h * 0.55, w * 0.6, h * 0.78), fill=(60, 60, 80), width=max(3, w // 60))
    d.line((w * 0.5, h * 0.35, w * 0.4, h * 0.48), fill=(60, 60, 80), width=max(3, w // 70))
    d.line((w * 0.5, h * 0.35, w * 0.62, h * 0.45), fill=(60, 60, 80), width=max(3, w // 70))
    d.ellipse((w * 0.75, h * 0.08, w * 0.9, h * 0.3), fill=(240, 190, 60))


def meter(d: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    d.rounded_rectangle((w * 0.3, h * 0.1, w * 0.7, h * 0.9), radius=w // 20, fill=(70, 90, 120))
    d.rectangle((w * 0.36, h * 0.18, w * 0.64, h * 0.45), fill=(200, 230, 210))
    d.text((w * 0.43, h * 0.27), "112", fill=(20, 40, 30))
    d.ellipse((w * 0.45, h * 0.6, w * 0.55, h * 0.72), fill=(220, 220, 230))


def plate(d: ImageDraw.ImageDraw, size: tuple[int, int]) -> None:
    w, h = size
    d.ellipse((w * 0.2, h * 0.1, w * 0.8, h * 0.9), fill=(255, 255, 255), outline=(150, 150, 150), width=4)
    d.pieslice((w * 0.25, h * 0.15, w * 0.75, h * 0.85), 180, 360, fill=(110, 180, 90))
    d.pieslice((w * 0.25, h * 0.15, w * 0.75, h * 0.85), 0, 90, fill=(210, 120, 80))
    d.pieslice((w * 0.25, h * 0.15, w * 0.75, h * 0.85), 90, 180, fill=(230, 200, 120))


if __name__ == "__main__":
    png("walking.png", (600, 400), walking)
    png("meter.png", (300, 400), meter)
    png("plate.png", (500, 500), plate)
