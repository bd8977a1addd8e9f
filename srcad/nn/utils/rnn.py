"""``pad_sequence``: stack variable-length sequences into one padded tensor."""

__all__ = ["pad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """``(L_max, B, *)`` (or ``(B, L_max, *)``) from ``B`` tensors ``(L_i, *)``."""
    from ...tape.api import stack  # noqa: PLC0415
    from .. import functional as F  # noqa: PLC0415

    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    sequences = list(sequences)
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        widths = [0, 0] * (s.ndim - 1) + ([missing, 0] if padding_side == "left" else [0, missing])
        padded.append(F.pad(s, widths, value=padding_value) if missing else s)
    return stack(padded, 0 if batch_first else 1)
