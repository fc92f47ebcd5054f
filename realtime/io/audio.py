"""Carrying an input file's audio track into the stylized output."""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av


class AudioCopy:
    """Copies audio into an output container alongside the video, in time order.

    Packets are remuxed untouched when the container takes the codec; otherwise they
    are decoded and re-encoded to the container's default audio codec (Opus in WebM).
    Times are shifted so that the input's first video frame is time 0, as it is in
    the output, which keeps sound and picture in sync.
    """

    @classmethod
    def open(cls, source: Path, output: av.container.OutputContainer) -> AudioCopy | None:
        # A tag that is not UTF-8 (a damaged or oddly written file) must not stop the recording.
        try:
            container = av.open(str(source), metadata_errors="replace")
        except av.error.FFmpegError:  # OpenCV read its pictures (a lone JPEG, say); FFmpeg sees no sound in it
            return None
        if not container.streams.audio:
            container.close()
            return None
        return cls(container, output)

    def __init__(self, source: av.container.InputContainer, output: av.container.OutputContainer):
        self.source, self.output = source, output
        self.in_stream = source.streams.audio[0]
        video = source.streams.video[0] if source.streams.video else None
        self.offset = float(video.start_time * video.time_base) if video and video.start_time is not None else 0.0
        try:
            self.out_stream = output.add_stream_from_template(self.in_stream)
            self.resampler: av.AudioResampler | None = None
        except ValueError:  # the container does not take this codec
            self.out_stream = output.add_stream(output.default_audio_codec)
            rate = self.out_stream.codec_context.rate or self.in_stream.rate
            self.out_stream.codec_context.rate = rate
            self.out_stream.codec_context.layout = self.in_stream.layout
            self.resampler = av.AudioResampler(format=self.out_stream.codec_context.codec.audio_formats[0].name,
                                               layout=self.in_stream.layout, rate=rate)
            self.samples_written = 0
        self._packets: Iterator[av.Packet] = source.demux(self.in_stream)
        self._held: av.Packet | None = None

    def copy_until(self, seconds: float) -> None:
        """Copy the audio that plays before `seconds` of output time."""
        while True:
            packet = self._held or next(self._packets, None)
            self._held = None
            if packet is None or packet.pts is None:
                if packet is None:
                    return
                continue  # demuxer's flush packet
            start = float(packet.pts * packet.time_base) - self.offset
            if start >= seconds:
                self._held = packet
                return
            if start >= 0:
                self._write(packet, start)

    def _write(self, packet: av.Packet, start: float) -> None:
        if self.resampler is None:
            shift = round(self.offset / packet.time_base)
            packet.pts -= shift
            packet.dts = packet.pts if packet.dts is None else packet.dts - shift
            packet.stream = self.out_stream
            self.output.mux(packet)
            return
        context = self.out_stream.codec_context
        if self.samples_written == 0:
            self.samples_written = round(start * context.rate)
        for decoded in packet.decode():
            for frame in self.resampler.resample(decoded):
                frame.pts, frame.time_base = self.samples_written, Fraction(1, context.rate)
                self.samples_written += frame.samples
                self.output.mux(self.out_stream.encode(frame))

    def close(self) -> None:
        if self.resampler is not None:
            self.output.mux(self.out_stream.encode(None))
        self.source.close()
