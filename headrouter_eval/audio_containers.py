"""What an audio file's container says it holds, to catch truncated files that decode in part.

libsndfile quietly decodes what is present: a WAV, AIFF, RF64, W64 or AU file cut short
reports the shortened length, an Ogg (Vorbis, Opus) stream cut at a page boundary decodes
to its first pages, and an MP3 decodes to fewer frames than its own header counts. Each
container has a witness of the intended length that survives the cut, read here:

* RIFF/WAVE, RF64, Sony Wave64, AIFF/AIFC, Sun AU: the byte length the header declares for
  the whole file (or its data), against the bytes present; RIFF also the data chunk's size
  against the frames decoded, found by walking the chunks however far ``data`` lies;
* Ogg: the last page must be complete and carry the end-of-stream flag;
* every format: libsndfile's own frame count against what decodes (MP3, FLAC headers).

Streaming writers leave sizes unknown (0 or all ones): those say nothing and pass.
"""

from __future__ import annotations

from typing import BinaryIO

_UNKNOWN32 = (0, 0xFFFFFFFF)
# Sony Wave64 chunk GUIDs begin with the FourCC; the whole 16 bytes identify them
_W64_RIFF = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
_OGG_TAIL = 1 << 16  # an Ogg page is at most 65,307 bytes


def _size(handle: BinaryIO) -> int:
    handle.seek(0, 2)
    return handle.tell()


def _read_at(handle: BinaryIO, offset: int, count: int) -> bytes:
    handle.seek(offset)
    return handle.read(count)


def declared_bytes(handle: BinaryIO) -> tuple[str, int] | None:
    """``(container, bytes the header declares for the whole file)``, or ``None`` when it does not say."""
    head = _read_at(handle, 0, 40)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        size = int.from_bytes(head[4:8], "little")
        return None if size in _UNKNOWN32 else ("RIFF/WAVE", size + 8)
    if head[:4] in (b"RF64", b"BW64") and head[8:12] == b"WAVE" and head[12:16] == b"ds64":
        size = int.from_bytes(head[20:28], "little")  # ds64: riffSize (64-bit), dataSize, sampleCount
        return None if size == 0 else ("RF64", size + 8)
    if head[:16] == _W64_RIFF:
        size = int.from_bytes(head[16:24], "little")  # includes the 24-byte header
        return None if size == 0 else ("Wave64", size)
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        size = int.from_bytes(head[4:8], "big")
        return None if size in _UNKNOWN32 else ("AIFF", size + 8)
    if head[:4] == b".snd":
        offset, size = int.from_bytes(head[4:8], "big"), int.from_bytes(head[8:12], "big")
        return None if size == 0xFFFFFFFF else ("AU", offset + size)
    return None


def wav_data_frames(handle: BinaryIO) -> int | None:
    """Frames the RIFF/WAVE ``data`` chunk declares, walking every chunk before it (any number of bytes)."""
    head = _read_at(handle, 0, 12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    total, pos, block_align = _size(handle), 12, None
    while pos + 8 <= total:
        chunk = _read_at(handle, pos, 8)
        chunk_id, size = chunk[:4], int.from_bytes(chunk[4:8], "little")
        if chunk_id == b"fmt ":
            block_align = int.from_bytes(_read_at(handle, pos + 20, 2), "little")
        elif chunk_id == b"data":
            if not block_align or size in _UNKNOWN32:
                return None
            return size // block_align
        pos += 8 + size + (size & 1)  # chunks are word-aligned
    return None


def ogg_truncation(handle: BinaryIO) -> str | None:
    """Why an Ogg stream is cut short (last page incomplete or without end-of-stream), or ``None``."""
    total = _size(handle)
    start = max(0, total - _OGG_TAIL)
    tail = _read_at(handle, start, total - start)
    last = tail.rfind(b"OggS")
    while last >= 0:
        page = tail[last:]
        if len(page) >= 27:
            segments = page[26]
            if len(page) < 27 + segments:
                return "its last page is cut inside the page header"
            body = sum(page[27:27 + segments])
            if 27 + segments + body > len(page):
                return f"its last page is cut: {len(page)} of {27 + segments + body} bytes present"
            if not page[5] & 0x04:
                return "its last page does not end the stream (no end-of-stream flag)"
            return None
        last = tail.rfind(b"OggS", 0, last)
    return "no complete Ogg page was found at its end"


def truncation(handle: BinaryIO, decoded_frames: int, header_frames: int, sampling_rate: int) -> str | None:
    """Why the file behind ``handle`` is truncated, or ``None``; ``header_frames``: libsndfile's count."""
    def seconds(frames: int) -> str:
        return f"{frames} frames ({frames / sampling_rate:.2f} s)"

    if header_frames > decoded_frames:
        return f"its header counts {seconds(header_frames)} but only {seconds(decoded_frames)} could be decoded"
    promised = wav_data_frames(handle)
    if promised is not None and decoded_frames < promised:
        return (f"the WAV header promises {seconds(promised)} but only {decoded_frames} "
                f"({decoded_frames / sampling_rate:.2f} s) could be decoded")
    declared = declared_bytes(handle)
    present = _size(handle)
    if declared is not None and present < declared[1]:
        return (f"its {declared[0]} header declares {declared[1]} bytes but the file holds {present} "
                f"({seconds(decoded_frames)} decoded)")
    if _read_at(handle, 0, 4) == b"OggS":
        reason = ogg_truncation(handle)
        if reason:
            return f"the Ogg stream is cut short: {reason} ({seconds(decoded_frames)} decoded)"
    return None
