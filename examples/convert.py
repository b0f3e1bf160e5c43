#!/usr/bin/env python3
"""convert.py: examples/convert.c in Python (PyGObject).

Converts the singing voice of an audio file with a RIFT-SVC model, writes a
WAV and prints its progress from the pipeline's bus:

    convert.py IN OUT.wav [PROPERTY=VALUE ...]

runs

    filesrc ! decodebin ! audioconvert ! audioresample
        ! riftsvc PROPERTY=VALUE ... ! audioconvert ! wavenc ! filesink

with the same arguments, output and exit status as convert.c: each PROPERTY
is one of riftsvc's (model, speaker, key-shift, infer-steps, pretrained,
rmvpe, contentvec, vocoder, seed, noise-scale, ...) or a child's
(f0::voicing-threshold); one "progress:" line per rift-progress message of
riftsvc's vocoder (docs/elements.md, riftvocoder "Progress"); Ctrl-C ends
the stream so that the WAV is complete. Exit status 0 done, 1 the
conversion failed, 2 a wrong command line.

Needs python3-gi and gir1.2-gstreamer-1.0, and the plugin on the GStreamer
plugin path (from a build tree: GST_PLUGIN_PATH=build/gst).
"""
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def quoted(arg):
    """NAME="VALUE" for a launch description, VALUE quoted so that spaces,
    '!' and quotes stay in it; None when arg has no NAME=."""
    name, eq, value = arg.partition("=")
    if not name or not eq:
        return None
    return '%s="%s"' % (name, value.replace("\\", "\\\\").replace('"', '\\"'))


def time_str(t):
    """A GstClockTime as GST_TIME_FORMAT prints it: H:MM:SS.NNNNNNNNN."""
    s, ns = divmod(t, Gst.SECOND)
    return "%u:%02u:%02u.%09u" % (s // 3600, s // 60 % 60, s % 60, ns)


def print_progress(s):
    """One line per rift-progress message: stream-time of duration (percent);
    the duration is NONE when the input does not tell it."""
    ok_pos, pos = s.get_uint64("stream-time")
    ok_dur, dur = s.get_uint64("duration")
    if not ok_pos or not ok_dur or pos == Gst.CLOCK_TIME_NONE:
        return
    if dur != Gst.CLOCK_TIME_NONE and dur > 0:
        print("progress: %s of %s (%.1f%%)"
              % (time_str(pos), time_str(dur), 100.0 * pos / dur))
    else:
        print("progress: %s" % time_str(pos))


class Convert:
    def __init__(self, pipeline, output):
        self.pipeline = pipeline
        self.output = output
        self.loop = GLib.MainLoop()
        self.status = 0

    def on_bus_message(self, bus, msg):
        if msg.type == Gst.MessageType.ELEMENT:
            if msg.has_name("rift-progress"):
                print_progress(msg.get_structure())
        elif msg.type == Gst.MessageType.WARNING:
            err, _ = msg.parse_warning()
            print("warning from %s: %s" % (msg.src.get_name(), err.message),
                  file=sys.stderr)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print("error from %s: %s\n%s" % (msg.src.get_name(), err.message,
                                            debug or ""), file=sys.stderr)
            self.status = 1
            self.loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            print("done: %s" % self.output)
            self.loop.quit()
        return GLib.SOURCE_CONTINUE

    def on_sigint(self):
        """Ctrl-C: end the stream, so that the elements drain and wavenc
        completes the file; removing this source gives SIGINT its default
        action back."""
        print("interrupted: finishing %s" % self.output, file=sys.stderr)
        self.pipeline.send_event(Gst.Event.new_eos())
        return GLib.SOURCE_REMOVE


def main(argv):
    Gst.init(None)
    if len(argv) < 3:
        print("usage: %s IN OUT.wav [PROPERTY=VALUE ...]\n"
              "  e.g. %s song.flac out.wav model=model.ckpt speaker=alice"
              % (argv[0], argv[0]), file=sys.stderr)
        return 2
    properties = []
    for arg in argv[3:]:
        prop = quoted(arg)
        if prop is None:
            print("'%s' is not PROPERTY=VALUE" % arg, file=sys.stderr)
            return 2
        properties.append(prop)
    description = " ".join(
        ["filesrc name=src ! decodebin ! audioconvert ! audioresample"
         " ! riftsvc"] + properties +
        ["! audioconvert ! wavenc ! filesink name=sink"])

    # FATAL_ERRORS: an unknown property or a value that does not parse
    # fails here instead of leaving a half-configured pipeline
    try:
        pipeline = Gst.parse_launch_full(description, None,
                                         Gst.ParseFlags.FATAL_ERRORS)
    except GLib.Error as err:
        print("cannot build the pipeline: %s" % err.message, file=sys.stderr)
        if err.matches(Gst.parse_error_quark(),
                       Gst.ParseError.NO_SUCH_ELEMENT):
            print("is the rift plugin on GST_PLUGIN_PATH? (build/gst in a"
                  " build tree)", file=sys.stderr)
        usage = (Gst.ParseError.NO_SUCH_PROPERTY,
                 Gst.ParseError.COULD_NOT_SET_PROPERTY)
        return 2 if any(err.matches(Gst.parse_error_quark(), code)
                        for code in usage) else 1
    # the file names are set directly: no quoting to get wrong
    pipeline.get_by_name("src").set_property("location", argv[1])
    pipeline.get_by_name("sink").set_property("location", argv[2])

    c = Convert(pipeline, argv[2])
    bus = pipeline.get_bus()
    bus.add_watch(GLib.PRIORITY_DEFAULT, c.on_bus_message)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, c.on_sigint)

    print("converting %s -> %s" % (argv[1], argv[2]))
    # a failure (a missing model, ...) has posted its error, which the loop
    # reports
    pipeline.set_state(Gst.State.PLAYING)
    c.loop.run()

    pipeline.set_state(Gst.State.NULL)
    bus.remove_watch()
    return c.status


if __name__ == "__main__":
    # progress lines as they come, also into a pipe
    sys.stdout.reconfigure(line_buffering=True)
    sys.exit(main(sys.argv))
