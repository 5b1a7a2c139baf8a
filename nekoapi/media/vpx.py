"""VP8 and VP9 encoding with libvpx itself (ctypes), for what FFmpeg's wrapper cannot do.

FFmpeg's libvpx encoder reads its rate settings once, at open: a new bitrate meant a new encoder,
which starts with a keyframe (72 KB at 720p) and forgets its rate control. libvpx can take a new
configuration while it runs (``vpx_codec_enc_config_set``), so this module drives it directly
(vpx_abi.py declares the interface): a bitrate change costs nothing, the I420 picture is read where
it is (no copy into an AVFrame), and the speed is fixed (a negative ``cpu-used`` for VP8) so quality
does not follow the machine's load.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from fractions import Fraction

from .vpx_abi import (
    ABI,
    LIB,
    VP8E_SET_CPUUSED,
    VP8E_SET_MAX_INTRA_BITRATE_PCT,
    VP8E_SET_NOISE_SENSITIVITY,
    VP8E_SET_SCREEN_CONTENT_MODE,
    VP8E_SET_STATIC_THRESHOLD,
    VP8E_SET_TOKEN_PARTITIONS,
    VP9E_SET_AQ_MODE,
    VP9E_SET_ROW_MT,
    VP9E_SET_TUNE_CONTENT,
    VPX_CBR,
    VPX_CODEC_CX_FRAME_PKT,
    VPX_DL_REALTIME,
    VPX_EFLAG_FORCE_KF,
    VPX_FRAME_IS_KEY,
    VPX_IMG_FMT_I420,
    VPX_KF_AUTO,
    EncoderConfig,
    Image,
    Rational,
)

CLOCK = Fraction(1, 90000)


@dataclass(frozen=True)
class EncodedFrame:
    """One encoded picture as aiortc's packetizers read it (``bytes()``, ``pts``, ``time_base``)."""

    data: bytes
    pts: int  # 90 kHz
    is_keyframe: bool
    dimensions: tuple[int, int] | None = None  # width, height: a VP9 keyframe's RTP descriptor carries them
    time_base: Fraction = CLOCK

    def __bytes__(self) -> bytes:
        return self.data


@dataclass(frozen=True)
class Tuning:
    speed: int = 10  # VP8: cpu-used -speed (fixed); VP9: cpu-used speed
    min_quantizer: int = 2
    max_quantizer: int = 24  # >= Neko's PSNR at Neko's bitrate (docs/benchmarks.md)


class VpxEncoder:
    """A running libvpx encoder for one size; ``set_bitrate`` retunes it in place."""

    def __init__(self, codec: str, width: int, height: int, fps: int, bitrate: int, tuning: Tuning = Tuning()) -> None:
        self.codec, self.width, self.height, self.fps = codec, width, height, fps
        self.bitrate = bitrate
        self.reopens = 0  # never: kept for the same counters as the encoders PyAV drives
        self._ctx = ctypes.create_string_buffer(256)  # vpx_codec_ctx_t, opaque to us
        iface = LIB.vpx_codec_vp8_cx() if codec == "vp8" else LIB.vpx_codec_vp9_cx()
        config = self._config = EncoderConfig()
        _check(LIB.vpx_codec_enc_config_default(iface, ctypes.byref(config), 0), "config_default")
        config.g_w, config.g_h, config.g_threads = width, height, 1  # more threads spin on busy cores
        config.g_timebase = Rational(1, 90000)
        config.g_lag_in_frames, config.g_error_resilient = 0, 0
        config.rc_end_usage, config.rc_dropframe_thresh, config.rc_resize_allowed = VPX_CBR, 0, 0
        config.rc_target_bitrate = max(bitrate // 1000, 1)
        config.rc_min_quantizer, config.rc_max_quantizer = tuning.min_quantizer, tuning.max_quantizer
        # WebRTC's real-time buffer model (ms), undershoot and overshoot (%).
        config.rc_undershoot_pct, config.rc_overshoot_pct = 100, 15
        config.rc_buf_sz, config.rc_buf_initial_sz, config.rc_buf_optimal_sz = 1000, 500, 600
        config.kf_mode, config.kf_min_dist, config.kf_max_dist = VPX_KF_AUTO, 0, 100000  # we ask for keyframes
        _check(LIB.vpx_codec_enc_init_ver(self._ctx, iface, ctypes.byref(config), 0, ABI), "enc_init")
        self._open = True
        if codec == "vp8":
            self._control(VP8E_SET_CPUUSED, -tuning.speed)
            self._control(VP8E_SET_STATIC_THRESHOLD, 1)
            self._control(VP8E_SET_NOISE_SENSITIVITY, 0)
            self._control(VP8E_SET_TOKEN_PARTITIONS, 0)
            self._control(VP8E_SET_SCREEN_CONTENT_MODE, 1)
        else:
            self._control(VP8E_SET_CPUUSED, min(tuning.speed, 9))
            self._control(VP9E_SET_TUNE_CONTENT, 1)  # screen
            self._control(VP9E_SET_AQ_MODE, 3)  # cyclic refresh, as real-time VP9 in WebRTC
            self._control(VP9E_SET_ROW_MT, 0)
        # A keyframe at most this many % of an average frame: it must cross the network quickly too.
        self._control(VP8E_SET_MAX_INTRA_BITRATE_PCT, max(300, config.rc_buf_optimal_sz * fps // 20))
        self._image = Image()

    def _control(self, control: int, value: int) -> None:
        _check(LIB.vpx_codec_control_(self._ctx, control, value), f"control {control}", self._ctx)

    def set_bitrate(self, bitrate: int) -> None:
        """The new target from the next frame on: no keyframe, no new encoder."""
        if bitrate == self.bitrate:
            return
        self.bitrate = bitrate
        self._config.rc_target_bitrate = max(bitrate // 1000, 1)
        _check(LIB.vpx_codec_enc_config_set(self._ctx, ctypes.byref(self._config)), "config_set", self._ctx)

    def encode(
        self, pointers: tuple[int, int, int], strides: tuple[int, int, int], pts: int, key: bool, duration: int = 0
    ) -> list[EncodedFrame]:
        """One I420 picture at ``pointers`` (read during this call only); ``pts`` in 90 kHz."""
        image = self._image
        LIB.vpx_img_wrap(ctypes.byref(image), VPX_IMG_FMT_I420, self.width, self.height, 1, pointers[0])
        for index in range(3):
            image.planes[index], image.stride[index] = pointers[index], strides[index]
        flags = VPX_EFLAG_FORCE_KF if key else 0
        duration = duration or 90000 // self.fps
        _check(
            LIB.vpx_codec_encode(self._ctx, ctypes.byref(image), pts, duration, flags, VPX_DL_REALTIME),
            "encode",
            self._ctx,
        )
        out = []
        iterator = ctypes.c_void_p(None)
        while True:
            packet = LIB.vpx_codec_get_cx_data(self._ctx, ctypes.byref(iterator))
            if not packet:
                return out
            packet = packet.contents
            if packet.kind == VPX_CODEC_CX_FRAME_PKT:
                data = ctypes.string_at(packet.buf, packet.sz)
                key = bool(packet.flags & VPX_FRAME_IS_KEY)
                out.append(EncodedFrame(data, packet.pts, key, (self.width, self.height)))

    def close(self) -> None:
        if self._open:
            self._open = False
            LIB.vpx_codec_destroy(self._ctx)

    def __del__(self) -> None:
        self.close()


def _check(result: int, what: str, ctx: ctypes.Array[ctypes.c_char] | None = None) -> None:
    if result != 0:
        detail = LIB.vpx_codec_error(ctx).decode() if ctx is not None else f"error {result}"
        raise RuntimeError(f"libvpx {what}: {detail}")
