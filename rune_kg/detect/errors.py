"""The detection stage's one error type."""


class DetectError(RuntimeError):
    """The detector cannot run: mmrotate missing, a bad config, checkpoint, device or option."""
