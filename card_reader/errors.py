"""One exception hierarchy with stable codes.

The library raises these; it never returns an empty result to mean failure. Each class carries a
stable ``code`` (for JSON, logs and the batch file) and an ``exit_code`` the CLI maps to in one
place (``card_reader.cli``). Messages are written for a person and never contain PHI: no member ID,
name or date of birth, and no image bytes.
"""

from __future__ import annotations


class CardReaderError(Exception):
    """Base of every error the library raises on purpose."""

    code = "card_reader_error"
    exit_code = 1

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or self.code)

    @property
    def message(self) -> str:
        return str(self)


# --- Input (the upload itself is bad): exit code 3 -------------------------------------------
class InputError(CardReaderError):
    """The uploaded file cannot be used as a card image."""

    code = "input_error"
    exit_code = 3


class ImageEmpty(InputError):
    """The file is empty."""

    code = "image_empty"


class ImageTooLarge(InputError):
    """The file is larger than the upload limit."""

    code = "image_too_large"


class DecompressionBomb(InputError):
    """The image declares more pixels than the limit; it was not decoded."""

    code = "decompression_bomb"


class NotAnImage(InputError):
    """The file is not an image."""

    code = "not_an_image"


class UnsupportedFormat(InputError):
    """The file is an image in a format card-reader does not accept."""

    code = "unsupported_format"


class ImageTruncated(InputError):
    """The image file is cut short or corrupt."""

    code = "image_truncated"


class ImageNotFound(InputError):
    """The image file does not exist or cannot be opened."""

    code = "image_not_found"


class InvalidManifest(InputError):
    """A batch manifest line cannot be used (no card id, no front image, unreadable typed form)."""

    code = "invalid_manifest"


class UnsupportedMediaType(InputError):
    """An uploaded part's content type is not an image type the service reads."""

    code = "unsupported_media_type"


class InvalidSubmission(InputError):
    """The typed form is not valid JSON of the expected shape."""

    code = "invalid_submission"


# --- Configuration (our own files are bad): exit code 4 --------------------------------------
class ConfigError(CardReaderError):
    """card-reader is misconfigured."""

    code = "config_error"
    exit_code = 4


class TemplateError(ConfigError):
    """A payer template failed validation."""

    code = "template_invalid"


# --- Engine (the OCR engine is missing or failed): exit code 5 -------------------------------
class EngineError(CardReaderError):
    """The OCR engine failed."""

    code = "ocr_engine_error"
    exit_code = 5


class EngineNotFound(EngineError):
    """The OCR engine is not installed."""

    code = "ocr_engine_missing"


class EngineTimeout(EngineError):
    """The OCR engine took longer than the time limit."""

    code = "ocr_timeout"


# --- Processing (the image was decoded but no card could be read): exit code 6 ---------------
class ProcessingError(CardReaderError):
    """The card could not be processed."""

    code = "processing_error"
    exit_code = 6


class CardTimeout(ProcessingError):
    """The card took longer than the batch's per-card time limit; its worker was stopped."""

    code = "card_timeout"


class ServiceBusy(ProcessingError):
    """Every worker is busy and the upload queue is full: retry after ``retry_after`` seconds."""

    code = "service_busy"

    def __init__(self, message: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# --- Store (the results database): exit code 7 -------------------------------------------------
class StoreError(CardReaderError):
    """The results store could not be used."""

    code = "store_error"
    exit_code = 7


class StoreUnreachable(StoreError):
    """The results database could not be opened or migrated."""

    code = "store_unreachable"


class CardNotStored(StoreError):
    """No result is stored for this card id."""

    code = "card_not_stored"


class InvalidDecision(StoreError):
    """A review decision that cannot be recorded (no action, a correction without field=value)."""

    code = "invalid_decision"
    exit_code = 2


def error_code(exc: BaseException) -> str:
    """The stable code for any exception, ``internal_error`` for ones we did not raise."""
    return exc.code if isinstance(exc, CardReaderError) else "internal_error"
