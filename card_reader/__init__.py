"""card-reader: reads US health insurance card photos and checks them against the typed intake form.

    >>> from card_reader import read_card
    >>> result = read_card("front.jpg", "back.jpg", {"member_id": "W213769935"})
    >>> result.needs_review

The library installs no logging handlers and imports no CLI framework; the pipeline (OpenCV and
the OCR engine) is imported on first use.
"""

__version__ = "0.1.0"

from .errors import CardReaderError  # noqa: E402
from .models import CardResult, ClientSubmission  # noqa: E402

__all__ = ["CardReader", "CardReaderError", "CardResult", "ClientSubmission", "read_card", "__version__"]


def __getattr__(name: str):
    if name in ("CardReader", "read_card"):
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'card_reader' has no attribute {name!r}")
