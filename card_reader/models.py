"""The public contract: what the client typed in, and what card-reader answers.

Pydantic models, serialised with ``model_dump_json``. Field names follow the portal's form.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

Side = Literal["front", "back"]


class CheckStatus(str, Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    PROBABLE_TYPO = "probable_typo"
    PLACEHOLDER = "placeholder"
    UNREADABLE = "unreadable"
    NOT_ON_CARD = "not_on_card"


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class PolicyHolder(BaseModel):
    model_config = ConfigDict(extra="ignore")

    first_name: Optional[str] = None
    last_name: Optional[str] = None
    date_of_birth: Optional[date] = None


class ClientSubmission(BaseModel):
    """The portal's form as the client filled it in; every field optional so a partial form is checked."""

    model_config = ConfigDict(extra="ignore")

    first_name: Optional[str] = None
    last_name: Optional[str] = None
    date_of_birth: Optional[date] = None
    sex: Optional[str] = None
    insurance_provider: Optional[str] = None
    member_id: Optional[str] = None
    group_number: Optional[str] = None
    address: Optional[str] = None
    is_policy_holder: Optional[bool] = None
    policy_holder: Optional[PolicyHolder] = None
    school_name: Optional[str] = None

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class PayerResult(BaseModel):
    id: str = Field(description="template id, or 'unknown'")
    name: str
    confidence: float
    also_matched: list[str] = Field(default_factory=list,
                                    description="other payers whose templates matched the card too")


class FieldReading(BaseModel):
    value: str
    confidence: float
    side: Side
    box: Optional[list[int]] = Field(default=None, description="[x, y, w, h] on the straightened card side")
    raw: str = Field(description="the text as OCR gave it, before repair")
    label: Optional[str] = Field(default=None, description="the printed label the value was found by")
    portal_value: Optional[str] = Field(default=None, description="group_number only: what the portal's "
                                                                   "six-character field should hold")


class Check(BaseModel):
    field: str
    typed: Optional[str] = None
    read: Optional[str] = None
    status: CheckStatus
    detail: str = ""


class Flag(BaseModel):
    code: str
    severity: Severity
    field: Optional[str] = None
    message: str


class SideQuality(BaseModel):
    card_found: bool
    method: str
    rotation_applied: int = Field(description="degrees turned after straightening, from the text")
    exif_rotation: int = 0
    skew_degrees: float = 0.0
    card_width_px: int = Field(description="the card's width in pixels on the photo")
    sharpness: float
    glare: float
    brightness: float = Field(description="the card's light parts: 95th percentile of grey, 0..255")
    ocr_confidence: float = 0.0
    outline: Optional[list[list[float]]] = Field(default=None, description="the corners of what was read as the "
                                                 "card on the photo (EXIF applied), the upright card's top-left "
                                                 "first; the photo's frame when no outline was found")
    issues: list[str] = Field(default_factory=list)


class Versions(BaseModel):
    card_reader: str
    engine: str
    templates: str


class CardResult(BaseModel):
    case: Optional[str] = None
    payer: PayerResult
    fields: dict[str, FieldReading] = Field(default_factory=dict)
    checks: list[Check] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    needs_review: bool = False
    quality: dict[str, SideQuality] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    versions: Optional[Versions] = None


class CardFailure(BaseModel):
    """A batch line for a card that could not be read: its error, so the batch goes on."""

    case: str
    error: str = Field(description="stable error code")
    message: str
