#!/usr/bin/env python3
"""Reference data for tl's pure-Swift JPEG decoder, made with PIL (libjpeg-turbo).

  Scripts/jpeg-reference.py fixtures   # (re)writes Tests/TLDataTests/Fixtures/jpeg/: small JPEGs of every
                                       # kind tl decodes, PIL's decoded pixels for each (.ppm/.pgm), and
                                       # hostile files that must be refused with one clear line
  Scripts/jpeg-reference.py photos     # writes Tests/TLDataTests/Fixtures/jpeg/photos.json: per-image
                                       # statistics and a 32x32 grid of PIL's pixels for the JPEGs of
                                       # data/skimage (Scripts/fetch-data.sh skimage)
  Scripts/jpeg-reference.py bench DIR  # PIL decode + antialiased resize to 224x224, images/s on one
                                       # thread; writes PIL's full decode of each DIR/*.jpg as DIR/.pil/*.ppm

The fixtures were generated once and committed; re-running rewrites identical files with the
same Pillow version. Requires Pillow (`pip install pillow`).
"""
import io, json, os, struct, sys, time

from PIL import Image, ImageOps

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "TLDataTests", "Fixtures", "jpeg")


def synthetic(w, h, seed=1):
    """A photo-like RGB test image: smooth gradients, edges, texture and seeded noise."""
    import math, random
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h))
    px = im.load()
    for y in range(h):
        for x in range(w):
            r = 128 + 100 * math.sin(x / 7.0) * math.cos(y / 11.0)
            g = 255 * x / (w - 1)
            b = 60 if (x // 9 + y // 9) % 2 else 200
            n = rnd.randint(-12, 12)
            px[x, y] = tuple(max(0, min(255, int(v + n))) for v in (r, g, b))
    return im


def save(im, name, **kw):
    path = os.path.join(FIX, name)
    im.save(path, "JPEG", **kw)
    return path


def dump(path):
    """PIL's decode of `path` (EXIF orientation applied) as name.ppm / name.pgm."""
    im = ImageOps.exif_transpose(Image.open(path))
    im = im.convert("L" if im.mode == "L" else "RGB")
    out = os.path.splitext(path)[0] + (".pgm" if im.mode == "L" else ".ppm")
    im.save(out)


def patched(src, name, fn):
    b = bytearray(open(src, "rb").read())
    fn(b)
    open(os.path.join(FIX, name), "wb").write(bytes(b))


def sof_offset(b):
    i = 2
    while i < len(b):
        assert b[i] == 0xFF
        m = b[i + 1]
        if m in (0xC0, 0xC1, 0xC2):
            return i
        i += 2 + struct.unpack(">H", b[i + 2:i + 4])[0]
    raise ValueError("no SOF")


def sos_data(b):
    i = 2
    while True:
        m = b[i + 1]
        n = struct.unpack(">H", b[i + 2:i + 4])[0]
        if m == 0xDA:
            return i + 2 + n
        i += 2 + n


def fixtures():
    os.makedirs(FIX, exist_ok=True)
    rgb = synthetic(61, 45)  # odd sizes: partial MCUs on both edges
    made = [
        save(rgb, "baseline-444.jpg", quality=90, subsampling=0),
        save(rgb, "baseline-422.jpg", quality=90, subsampling=1),
        save(rgb, "baseline-420.jpg", quality=85, subsampling=2),
        save(rgb, "progressive-420.jpg", quality=85, subsampling=2, progressive=True),
        save(rgb, "progressive-444.jpg", quality=95, subsampling=0, progressive=True),
        save(rgb, "restart-420.jpg", quality=85, subsampling=2, restart_marker_blocks=3),
        save(rgb, "restart-progressive-422.jpg", quality=85, subsampling=1, progressive=True, restart_marker_rows=1),
        save(rgb.convert("L"), "grey.jpg", quality=90),
        save(rgb.convert("L"), "grey-progressive.jpg", quality=90, progressive=True),
    ]
    exif = Image.Exif()
    for o in (3, 6, 8):
        exif[0x0112] = o
        made.append(save(rgb, f"orientation-{o}.jpg", quality=90, subsampling=0, exif=exif.tobytes()))
    for p in made:
        dump(p)
    # PIL's antialiased (BILINEAR) downscale of PIL's decode, for tl's resize.
    Image.open(os.path.join(FIX, "baseline-444.ppm")).resize((16, 12), Image.BILINEAR).save(os.path.join(FIX, "resized-16x12.ppm"))
    base = os.path.join(FIX, "baseline-420.jpg")
    data = open(base, "rb").read()
    open(os.path.join(FIX, "hostile-truncated.jpg"), "wb").write(data[: len(data) // 2])

    def corrupt(b):  # scan data of all 1 bits: no valid Huffman code is all ones
        s = sos_data(b)
        for i in range(s, s + 64, 2):
            b[i], b[i + 1] = 0xFF, 0x00
    patched(base, "hostile-corrupt.jpg", corrupt)

    def huge(b):
        o = sof_offset(b)
        # 100000 does not fit the 16-bit SOF fields; claim 65500x65500 (4.3 gigapixels) instead.
        b[o + 5:o + 9] = struct.pack(">HH", 65500, 65500)
    patched(base, "hostile-huge.jpg", huge)

    def kind(marker=None, precision=None):
        def f(b):
            o = sof_offset(b)
            if marker is not None:
                b[o + 1] = marker
            if precision is not None:
                b[o + 4] = precision
        return f
    patched(base, "hostile-arithmetic.jpg", kind(marker=0xC9))
    patched(base, "hostile-lossless.jpg", kind(marker=0xC3))
    patched(base, "hostile-12bit.jpg", kind(precision=12))
    print(f"wrote {FIX}")


def photos():
    out = {}
    d = os.path.join(ROOT, "data", "skimage")
    for name in ("rocket.jpg", "retina.jpg", "hubble_deep_field.jpg"):
        im = ImageOps.exif_transpose(Image.open(os.path.join(d, name))).convert("RGB")
        w, h = im.size
        px = im.load()
        grid = []
        for gy in range(32):
            for gx in range(32):
                x, y = (gx * 2 + 1) * w // 64, (gy * 2 + 1) * h // 64
                grid.append(list(px[x, y]))
        means = [sum(im.getchannel(c).getdata()) / (w * h) for c in range(3)]
        out[name] = {"width": w, "height": h, "mean": [round(m, 4) for m in means], "grid": grid}
    path = os.path.join(FIX, "photos.json")
    json.dump(out, open(path, "w"), separators=(",", ":"))
    print(f"wrote {path}")


def bench(d):
    files = sorted(f for f in os.listdir(d) if f.lower().endswith((".jpg", ".jpeg")))
    os.makedirs(os.path.join(d, ".pil"), exist_ok=True)
    blobs = [open(os.path.join(d, f), "rb").read() for f in files]
    for f, b in zip(files, blobs):
        Image.open(io.BytesIO(b)).convert("RGB").save(os.path.join(d, ".pil", os.path.splitext(f)[0] + ".ppm"))
    reps, best = 5, float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        for b in blobs:
            Image.open(io.BytesIO(b)).convert("RGB").resize((224, 224), Image.BILINEAR)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"decoder": "PIL " + Image.__version__, "images": len(files),
                      "images_per_s": round(len(files) / best, 2)}))


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "fixtures"
    {"fixtures": fixtures, "photos": photos}.get(cmd, lambda: bench(sys.argv[2]))()
