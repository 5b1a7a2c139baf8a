"""Our VP8 encode against Neko's default GStreamer vp8enc, on the same recorded frames; and a 2x bitrate step.

The scene is recorded once, frame-exact (a live grab of a busy machine repeats frames): a page of
scrolling text with an animation beside it, drawn with Pillow at 1280x720. Each encoder then gets
the identical frames: ours as the video stage runs it (libyuv BGRX->I420, libvpx with the shipped
tuning), in this process; Neko's as its ``capture.go`` builds it (``videoconvert ! vp8enc ...``),
run by ``gst-launch-1.0`` from Debian's gstreamer1.0-tools and -plugins-good. CPU is process CPU
(user + system, every thread); rounds alternate which goes first, and medians are reported.
Quality is FFmpeg's ``psnr`` and ``ssim`` filters against the source frames.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nekoapi.media.encoders import LibvpxEncoder
from nekoapi.media.video import KEYFRAME_INTERVAL
from nekoapi.media.vpx import Tuning
from nekoapi.media.yuv import I420, Converter

WIDTH, HEIGHT, FPS = 1280, 720, 25
NEKO_BITRATE = 3072 * 650  # Neko's "3072" becomes 1,996,800 bit/s at vp8enc (its capture.go)
# Neko's default video pipeline (server/internal/config/capture.go), from videoconvert on.
NEKO_VP8ENC = (
    "vp8enc target-bitrate={bitrate} cpu-used=4 end-usage=cbr threads=4 deadline=1 undershoot=95 "
    "buffer-size=12288 buffer-initial-size=6144 buffer-optimal-size=9216 keyframe-max-dist=25 "
    "min-quantizer=4 max-quantizer=20"
)
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def record_scene(frames: int) -> list[np.ndarray]:
    """BGRX frames: text scrolling 6 px a frame on the left, a moving ball and bars on the right."""
    font = ImageFont.truetype(FONT, 18) if Path(FONT).exists() else ImageFont.load_default()
    page = Image.new("RGB", (840, HEIGHT + 6 * frames + 40), "white")
    pen = ImageDraw.Draw(page)
    words = ["the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "neko", "streams"]
    for line in range((page.height - 20) // 26):
        text = " ".join(words[(line * 3 + i) % len(words)] for i in range(9))
        pen.text((24, 12 + line * 26), f"{line:4d}  {text}", fill=(20, 20, 40), font=font)
    out = []
    for index in range(frames):
        screen = Image.new("RGB", (WIDTH, HEIGHT), (236, 238, 242))
        screen.paste(page.crop((0, index * 6, 840, index * 6 + HEIGHT)), (0, 0))
        draw = ImageDraw.Draw(screen)
        t = index / FPS
        x, y = 1060 + int(140 * np.cos(t * 2.1)), 360 + int(220 * np.sin(t * 1.7))
        draw.ellipse((x - 50, y - 50, x + 50, y + 50), fill=(230, 90, 40))
        for bar in range(6):
            height = int(80 + 70 * np.sin(t * 3 + bar))
            draw.rectangle((880 + bar * 60, 700 - height, 920 + bar * 60, 700), fill=(40, 110 + bar * 20, 200))
        rgb = np.asarray(screen)
        bgrx = np.empty((HEIGHT, WIDTH, 4), np.uint8)
        bgrx[..., 0], bgrx[..., 1], bgrx[..., 2], bgrx[..., 3] = rgb[..., 2], rgb[..., 1], rgb[..., 0], 255
        out.append(bgrx)
    return out


@dataclass
class Encoded:
    cpu_ms: float  # per frame
    kbits: float  # per second
    path: Path
    keyframes: int = 0


def ours(frames: list[np.ndarray], out: Path, tuning: Tuning, bitrate: int = NEKO_BITRATE) -> Encoded:
    """The stage's path: BGRX -> I420 (libyuv) -> VP8 (libvpx), a keyframe every KEYFRAME_INTERVAL."""
    converter, picture = Converter(), I420(WIDTH, HEIGHT)
    encoder = LibvpxEncoder("vp8", WIDTH, HEIGHT, FPS, bitrate, tuning)
    every = int(KEYFRAME_INTERVAL * FPS)
    packets = []
    started = time.process_time()
    for index, frame in enumerate(frames):
        converter.convert(frame, picture)
        packets += encoder.encode(picture, index * 90000 // FPS, key=index % every == 0)
    cpu = time.process_time() - started
    encoder.close()
    write_ivf(out, [p.data for p in packets])
    size = sum(len(p.data) for p in packets)
    keys = sum(p.is_keyframe for p in packets)
    return Encoded(1000 * cpu / len(frames), size * 8 * FPS / len(frames) / 1000, out, keys)


def neko(source: Path, frames: int, out: Path) -> Encoded:
    """Neko's vp8enc as shipped, by gst-launch-1.0; its CPU from the child's rusage."""
    pipeline = (
        f"filesrc location={source} ! rawvideoparse format=bgrx width={WIDTH} height={HEIGHT} "
        f"framerate={FPS}/1 ! videoconvert ! queue ! {NEKO_VP8ENC.format(bitrate=NEKO_BITRATE)} ! "
        f"webmmux ! filesink location={out}"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["gst-launch-1.0", "-q", *pipeline.split()], check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Encoded(1000 * cpu / frames, _kbits(out, frames), out)


def _kbits(path: Path, frames: int) -> float:
    """The stream's bitrate from its packets (ffprobe), container overhead left out."""
    probe = ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=size", "-of", "csv=p=0"]
    sizes = subprocess.run(
        [*probe, str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sum(int(s) for s in sizes) * 8 * FPS / frames / 1000


def write_ivf(path: Path, frames: list[bytes]) -> None:
    header = b"DKIF" + struct.pack("<HHIHHIIII", 0, 32, 0x30385056, WIDTH, HEIGHT, FPS, 1, len(frames), 0)
    with path.open("wb") as out:
        out.write(header)
        for index, data in enumerate(frames):
            out.write(struct.pack("<IQ", len(data), index))
            out.write(data)


def quality(encoded: Path, source: Path) -> tuple[float, float]:
    """PSNR of luma and SSIM (all planes) against the source frames, by FFmpeg's filters."""
    raw = ["-f", "rawvideo", "-pix_fmt", "bgr0", "-s", f"{WIDTH}x{HEIGHT}", "-r", str(FPS), "-i", str(source)]
    graph = "[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a]split[a1][a2];[b]split[b1][b2];"
    graph += "[a1][b1]psnr;[a2][b2]ssim"
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-i", str(encoded), *raw, "-lavfi", graph, "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    psnr = re.search(r"PSNR y:([\d.]+)", result)
    ssim = re.search(r"SSIM .*All:([\d.]+)", result)
    if psnr is None or ssim is None:
        raise RuntimeError("ffmpeg gave no psnr/ssim figures")
    return float(psnr.group(1)), float(ssim.group(1))


def converters(frames: list[np.ndarray]) -> list[str]:
    """BGRX -> I420 at 1280x720, CPU per frame: libyuv (what the stages use), swscale by flag, numpy."""
    picture = I420(WIDTH, HEIGHT)
    fast = Converter()
    paths: dict[str, Callable[[np.ndarray], object]] = {
        "libyuv ARGBToI420 (ctypes), into a reused picture": lambda frame: fast.convert(frame, picture)
    }
    for flag in ("BICUBIC", "BILINEAR", "FAST_BILINEAR", "POINT", "AREA"):
        paths[f"swscale {flag} (PyAV reformat)"] = lambda frame, flag=flag: av.VideoFrame.from_numpy_buffer(
            frame, format="bgra"
        ).reformat(format="yuv420p", interpolation=flag)
    paths["numpy, integer BT.601"] = _numpy_i420
    lines = ["", "BGRX -> I420, 1280x720, CPU ms per frame:", "", "| converter | ms |", "|---|---|"]
    for name, convert in paths.items():
        sample = frames[:10] if name.startswith("numpy") else frames
        started = time.process_time()
        for frame in sample:
            convert(frame)
        lines.append(f"| {name} | {1000 * (time.process_time() - started) / len(sample):.2f} |")
    return lines


def _numpy_i420(frame: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b, g, r = (frame[..., i].astype(np.int32) for i in range(3))
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    r2, g2, b2 = (c.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).sum((1, 3)) for c in (r, g, b))
    u = ((-38 * r2 - 74 * g2 + 112 * b2 + 512) >> 10) + 128
    v = ((112 * r2 - 94 * g2 - 18 * b2 + 512) >> 10) + 128
    return y.astype(np.uint8), u.astype(np.uint8), v.astype(np.uint8)


def bitrate_step(frames: list[np.ndarray], tuning: Tuning) -> dict[str, float]:
    """1 Mbit/s, then 2 Mbit/s from the middle on, in one running encoder: keyframes after the step."""
    converter, picture = Converter(), I420(WIDTH, HEIGHT)
    encoder = LibvpxEncoder("vp8", WIDTH, HEIGHT, FPS, 1_000_000, tuning)
    half = len(frames) // 2
    sizes, keys = [], []
    for index, frame in enumerate(frames):
        if index == half:
            encoder.set_bitrate(2_000_000)
        converter.convert(frame, picture)
        for packet in encoder.encode(picture, index * 90000 // FPS, key=index == 0):
            sizes.append(len(packet.data))
            keys.append(packet.is_keyframe)
    encoder.close()
    settle = half // 2  # the rate control's buffer moves within a second
    return {
        "before_kbits": sum(sizes[settle:half]) * 8 * FPS / (half - settle) / 1000,
        "after_kbits": sum(sizes[half + settle :]) * 8 * FPS / (len(sizes) - half - settle) / 1000,
        "keyframes_after": sum(keys[half:]),
        "reopens": encoder.reopens,
    }


def run(quick: bool) -> list[str]:
    if shutil.which("gst-launch-1.0") is None:
        return ["", "Encoder comparison skipped: gst-launch-1.0 is missing (`make bench` installs gstreamer1.0-tools)."]
    count, rounds = (100, 2) if quick else (250, 4)
    frames = record_scene(count)
    tunings = {"ours, as shipped": Tuning()}
    if not quick:
        tunings |= {"ours, max quantizer 20": Tuning(max_quantizer=20), "ours, speed 8": Tuning(speed=8)}
    cpu: dict[str, list[float]] = {name: [] for name in [*tunings, "Neko vp8enc"]}
    results: dict[str, Encoded] = {}
    with tempfile.TemporaryDirectory(prefix="nekoapi-encode-") as tmp:
        source = Path(tmp) / "scene.bgrx"
        with source.open("wb") as out:
            for frame in frames:
                out.write(frame.tobytes())
        for round_no in range(rounds):
            names = list(cpu)
            for name in names if round_no % 2 == 0 else reversed(names):
                path = Path(tmp) / f"{len(results)}-{round_no}.{'webm' if name.startswith('Neko') else 'ivf'}"
                got = neko(source, count, path) if name.startswith("Neko") else ours(frames, path, tunings[name])
                cpu[name].append(got.cpu_ms)
                results[name] = got
        quality_of = {name: quality(got.path, source) for name, got in results.items()}
        step = bitrate_step(frames, Tuning())
    reference = statistics.median(cpu["Neko vp8enc"])
    clean_step = not step["keyframes_after"] and not step["reopens"]
    lines = [
        "",
        f"Encode, identical recorded frames ({count} at 1280x720, {FPS} fps, target {NEKO_BITRATE / 1e6:.2f} Mbit/s),"
        f" median of {rounds} rounds:",
        "",
        "| encoder | CPU ms/frame | CPU vs Neko | kbit/s | PSNR-Y dB | SSIM |",
        "|---|---|---|---|---|---|",
    ]
    for name, values in cpu.items():
        ms = statistics.median(values)
        psnr, ssim = quality_of[name]
        lines.append(
            f"| {name} | {ms:.2f} | {ms / reference:.2f}x | {results[name].kbits:.0f} | {psnr:.2f} | {ssim:.4f} |"
        )
    shipped, neko_psnr = statistics.median(cpu["ours, as shipped"]), quality_of["Neko vp8enc"][0]
    met = shipped <= 0.5 * reference and quality_of["ours, as shipped"][0] >= neko_psnr
    lines += [
        "",
        f"Target <= 0.5x Neko's CPU at >= Neko's PSNR: {'met' if met else 'not met'} "
        f"({shipped / reference:.2f}x, {quality_of['ours, as shipped'][0] - neko_psnr:+.2f} dB).",
        "",
        f"Bitrate step of 2x in the running encoder (1 -> 2 Mbit/s, same frames): "
        f"{step['before_kbits']:.0f} -> {step['after_kbits']:.0f} kbit/s, keyframes after the step "
        f"{step['keyframes_after']:.0f}, re-opens {step['reopens']:.0f}"
        f" (target: no keyframe, no re-open: {'met' if clean_step else 'not met'}).",
    ]
    return lines + converters(frames)


if __name__ == "__main__":
    import sys

    os.environ.setdefault("SVT_LOG", "1")
    print("\n".join(run(quick="--quick" in sys.argv)))
