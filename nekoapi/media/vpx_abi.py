"""libvpx's C interface as ctypes sees it: the library, its ABI version and the structures we fill.

The library is the one PyAV's wheel ships (already loaded by PyAV), else the system's. Its ABI is
checked at import: the version must be one whose structures are declared here (the layout below
is that of vpx/vpx_encoder.h, identical in libvpx 1.12-1.16), and the defaults libvpx writes into
our configuration must land on the fields we read. A mismatch fails loudly, at import.
"""

from __future__ import annotations

import ctypes
import glob
import os
import re

import av

# VPX_ENCODER_ABI_VERSION of each libvpx minor version (vpx_encoder.h, vpx_codec.h, vpx_ext_ratectrl.h, vpx_tpl.h).
ENCODER_ABI = {(1, 12): 25, (1, 13): 30, (1, 14): 34, (1, 15): 36, (1, 16): 39}
# vp8cx.h control ids.
VP8E_SET_CPUUSED = 13
VP8E_SET_NOISE_SENSITIVITY = 15
VP8E_SET_STATIC_THRESHOLD = 17
VP8E_SET_TOKEN_PARTITIONS = 18
VP8E_SET_MAX_INTRA_BITRATE_PCT = 26
VP8E_SET_SCREEN_CONTENT_MODE = 31
VP9E_SET_AQ_MODE = 36
VP9E_SET_TUNE_CONTENT = 43
VP9E_SET_ROW_MT = 55
VPX_IMG_FMT_I420 = 0x102
VPX_CBR, VPX_KF_AUTO = 1, 1
VPX_EFLAG_FORCE_KF = 1
VPX_FRAME_IS_KEY = 1
VPX_DL_REALTIME = 1
VPX_CODEC_CX_FRAME_PKT = 0


class VpxUnavailable(RuntimeError):
    """No libvpx this module can drive safely."""


class Rational(ctypes.Structure):
    _fields_ = [("num", ctypes.c_int), ("den", ctypes.c_int)]


class _FixedBuf(ctypes.Structure):
    _fields_ = [("buf", ctypes.c_void_p), ("sz", ctypes.c_size_t)]


class EncoderConfig(ctypes.Structure):
    """``vpx_codec_enc_cfg`` up to ``kf_max_dist``; the rest stays in ``_tail`` as libvpx wrote it."""

    _fields_ = [
        *((name, ctypes.c_uint) for name in ("g_usage", "g_threads", "g_profile", "g_w", "g_h")),
        ("g_bit_depth", ctypes.c_int),
        ("g_input_bit_depth", ctypes.c_uint),
        ("g_timebase", Rational),
        ("g_error_resilient", ctypes.c_uint32),
        ("g_pass", ctypes.c_int),
        *(
            (name, ctypes.c_uint)
            for name in (
                "g_lag_in_frames",
                "rc_dropframe_thresh",
                "rc_resize_allowed",
                "rc_scaled_width",
                "rc_scaled_height",
                "rc_resize_up_thresh",
                "rc_resize_down_thresh",
            )
        ),
        ("rc_end_usage", ctypes.c_int),
        ("rc_twopass_stats_in", _FixedBuf),
        ("rc_firstpass_mb_stats_in", _FixedBuf),
        *(
            (name, ctypes.c_uint)
            for name in (
                "rc_target_bitrate",
                "rc_min_quantizer",
                "rc_max_quantizer",
                "rc_undershoot_pct",
                "rc_overshoot_pct",
                "rc_buf_sz",
                "rc_buf_initial_sz",
                "rc_buf_optimal_sz",
                "rc_2pass_vbr_bias_pct",
                "rc_2pass_vbr_minsection_pct",
                "rc_2pass_vbr_maxsection_pct",
                "rc_2pass_vbr_corpus_complexity",
            )
        ),
        ("kf_mode", ctypes.c_int),
        ("kf_min_dist", ctypes.c_uint),
        ("kf_max_dist", ctypes.c_uint),
        ("_tail", ctypes.c_uint8 * 2048),  # layers and vizier factors: larger than libvpx's own tail
    ]


class Image(ctypes.Structure):
    _fields_ = [
        ("fmt", ctypes.c_int),
        ("cs", ctypes.c_int),
        ("range", ctypes.c_int),
        *(
            (name, ctypes.c_uint)
            for name in ("w", "h", "bit_depth", "d_w", "d_h", "r_w", "r_h", "x_chroma_shift", "y_chroma_shift")
        ),
        ("planes", ctypes.c_void_p * 4),
        ("stride", ctypes.c_int * 4),
        ("bps", ctypes.c_int),
        ("user_priv", ctypes.c_void_p),
        ("img_data", ctypes.c_void_p),
        ("img_data_owner", ctypes.c_int),
        ("self_allocd", ctypes.c_int),
        ("fb_priv", ctypes.c_void_p),
    ]


class _FramePacket(ctypes.Structure):
    """``vpx_codec_cx_pkt`` as a frame packet (the union's ``frame`` member)."""

    _fields_ = [
        ("kind", ctypes.c_int),
        ("buf", ctypes.c_void_p),
        ("sz", ctypes.c_size_t),
        ("pts", ctypes.c_int64),
        ("duration", ctypes.c_ulong),
        ("flags", ctypes.c_uint32),
    ]


def _candidates() -> list[str]:
    bundled = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs", "libvpx*.so*")
    return [*sorted(glob.glob(bundled)), "libvpx.so.9", "libvpx.so.8", "libvpx.so.7"]


def _load() -> tuple[ctypes.CDLL, int, str]:
    problems = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.vpx_codec_version_str.restype = ctypes.c_char_p
        version = lib.vpx_codec_version_str().decode()
        match = re.match(r"v?(\d+)\.(\d+)", version)
        abi = ENCODER_ABI.get((int(match.group(1)), int(match.group(2)))) if match else None
        if abi is None:
            problems.append(f"{path}: libvpx {version} has no declared ABI here")
            continue
        _declare(lib)
        problem = _layout_problem(lib)
        if problem:
            problems.append(f"{path}: {problem}")
            continue
        return lib, abi, version
    raise VpxUnavailable("no usable libvpx: " + ("; ".join(problems) or "none found"))


def _declare(lib: ctypes.CDLL) -> None:
    pointer = ctypes.c_void_p
    lib.vpx_codec_vp8_cx.restype = pointer
    lib.vpx_codec_vp9_cx.restype = pointer
    lib.vpx_codec_enc_config_default.argtypes = [pointer, ctypes.POINTER(EncoderConfig), ctypes.c_uint]
    lib.vpx_codec_enc_init_ver.argtypes = [pointer, pointer, ctypes.POINTER(EncoderConfig), ctypes.c_long, ctypes.c_int]
    lib.vpx_codec_enc_config_set.argtypes = [pointer, ctypes.POINTER(EncoderConfig)]
    lib.vpx_codec_encode.argtypes = [
        pointer,
        ctypes.POINTER(Image),
        ctypes.c_int64,
        ctypes.c_ulong,
        ctypes.c_long,
        ctypes.c_ulong,
    ]
    lib.vpx_codec_get_cx_data.argtypes = [pointer, ctypes.POINTER(ctypes.c_void_p)]
    lib.vpx_codec_get_cx_data.restype = ctypes.POINTER(_FramePacket)
    lib.vpx_codec_destroy.argtypes = [pointer]
    lib.vpx_codec_error.argtypes = [pointer]
    lib.vpx_codec_error.restype = ctypes.c_char_p
    lib.vpx_codec_control_.argtypes = [pointer, ctypes.c_int, ctypes.c_int]
    lib.vpx_img_wrap.argtypes = [
        ctypes.POINTER(Image),
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_uint,
        pointer,
    ]
    lib.vpx_img_wrap.restype = ctypes.POINTER(Image)


def _layout_problem(lib: ctypes.CDLL) -> str | None:
    """VP8's documented defaults (vp8_cx_iface.c) must appear on our fields, or the layout is not ours."""
    config = EncoderConfig()
    if lib.vpx_codec_enc_config_default(lib.vpx_codec_vp8_cx(), ctypes.byref(config), 0) != 0:
        return "vpx_codec_enc_config_default failed"
    seen = (
        config.g_w,
        config.g_h,
        config.g_timebase.num,
        config.g_timebase.den,
        config.rc_target_bitrate,
        config.rc_min_quantizer,
        config.rc_max_quantizer,
        config.rc_buf_sz,
        config.rc_buf_initial_sz,
        config.rc_buf_optimal_sz,
        config.kf_mode,
        config.kf_max_dist,
    )
    expected = (320, 240, 1, 30, 256, 4, 63, 6000, 4000, 5000, VPX_KF_AUTO, 128)
    return None if seen == expected else f"vpx_codec_enc_cfg layout differs (defaults read {seen})"


LIB, ABI, VERSION = _load()
