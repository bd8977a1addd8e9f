"""Anomaly detection switches (accepted for compatibility; srcad's errors already name
the op and the tensor involved)."""

_STATE = {"enabled": False, "check_nan": True}


class detect_anomaly:  # noqa: N801 - PyTorch's spelling
    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = None

    def __enter__(self):
        self.prev = dict(_STATE)
        _STATE.update(enabled=True, check_nan=self.check_nan)

    def __exit__(self, *exc):
        _STATE.update(self.prev)


class set_detect_anomaly:  # noqa: N801
    def __init__(self, mode, check_nan=True):
        self.prev = dict(_STATE)
        _STATE.update(enabled=bool(mode), check_nan=check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _STATE.update(self.prev)


def is_anomaly_enabled():
    return _STATE["enabled"]
