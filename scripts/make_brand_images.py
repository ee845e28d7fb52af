"""Draw the brand icons (an original design) into custom_components/pterodactyl/brand/."""

from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "pterodactyl" / "brand"
SUPERSAMPLE = 4  # draw large, then downscale: smooth edges without an anti-aliasing API
BACKGROUND_TOP = (14, 116, 144)
BACKGROUND_BOTTOM = (12, 44, 64)
WING = (240, 249, 255)
RACK = (203, 213, 225)
RACK_SHADOW = (51, 65, 85)
LED = (74, 222, 128)


def draw_icon(size: int) -> Image.Image:
    """Return the icon at size x size pixels."""
    big = size * SUPERSAMPLE
    unit = big / 256  # coordinates below are on a 256-unit grid

    def box(x0: float, y0: float, x1: float, y1: float) -> tuple[int, int, int, int]:
        return (round(x0 * unit), round(y0 * unit), round(x1 * unit), round(y1 * unit))

    gradient = Image.new("RGB", (1, big))
    for y in range(big):
        t = y / (big - 1)
        gradient.putpixel(
            (0, y),
            tuple(
                round(a + (b - a) * t)
                for a, b in zip(BACKGROUND_TOP, BACKGROUND_BOTTOM, strict=True)
            ),
        )
    background = gradient.resize((big, big))
    mask = Image.new("L", (big, big), 0)
    # Edge to edge: the brands guidelines ask for images trimmed of transparent margins.
    ImageDraw.Draw(mask).rounded_rectangle(
        (0, 0, big - 1, big - 1), radius=round(48 * unit), fill=255
    )
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    image.paste(background, (0, 0), mask)
    draw = ImageDraw.Draw(image)

    # A pterodactyl gliding: two swept wings, a crested head and a tail.
    wings = [
        (20, 92),
        (70, 70),
        (112, 84),
        (128, 74),
        (144, 84),
        (186, 70),
        (236, 92),
        (180, 98),
        (150, 112),
        (128, 126),
        (106, 112),
        (76, 98),
    ]
    draw.polygon([(round(x * unit), round(y * unit)) for x, y in wings], fill=WING)
    head = [(120, 78), (128, 58), (150, 44), (136, 64), (136, 80)]
    draw.polygon([(round(x * unit), round(y * unit)) for x, y in head], fill=WING)
    tail = [(122, 120), (128, 146), (134, 120)]
    draw.polygon([(round(x * unit), round(y * unit)) for x, y in tail], fill=WING)

    # Three game servers in a rack, each with a running light.
    for row in range(3):
        top = 156 + row * 28
        draw.rounded_rectangle(
            box(60, top + 3, 196, top + 23), radius=round(6 * unit), fill=RACK_SHADOW
        )
        draw.rounded_rectangle(box(60, top, 196, top + 20), radius=round(6 * unit), fill=RACK)
        draw.ellipse(box(172, top + 6, 180, top + 14), fill=LED)
        for slot in range(4):
            x = 74 + slot * 14
            draw.rounded_rectangle(
                box(x, top + 7, x + 8, top + 13), radius=round(2 * unit), fill=RACK_SHADOW
            )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write icon.png (256 px) and icon@2x.png (512 px)."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    draw_icon(256).save(BRAND_DIR / "icon.png", optimize=True)
    draw_icon(512).save(BRAND_DIR / "icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
