from typing import Annotated, Literal

from pydantic import Field, StrictInt, StringConstraints, model_validator

from wapiz.kit.schemas import ApiInput
from wapiz.kit.text import Text as Words
from wapiz.kit.validation import invalid
from wapiz.messages.schemas import MediaUrl, MimeType, Text

# WhatsApp's ExtendedTextMessage.FontType numbers.
FONTS = (0, 1, 2, 6, 7, 8, 9, 10)
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
STYLE_TEXT_ONLY = Words("backgroundColor dan font hanya untuk status teks",
                        "backgroundColor and font are only for a text status")
NEEDS_TEXT = Words("Status teks membutuhkan text", "A text status needs text")
NEEDS_ONE_FILE = Words("Status {kind} membutuhkan tepat satu dari media atau mediaUrl",
                       "A {kind} status needs exactly one of media or mediaUrl")
NO_FILE = Words("Status teks tidak membawa file", "A text status carries no file")
NOT_A_FONT = Words("font harus salah satu dari 0, 1, 2, 6, 7, 8, 9, 10",
                   "font must be one of 0, 1, 2, 6, 7, 8, 9, 10")


class StoryIn(ApiInput):
    """A status: a text (with a background and a font), an image or a video (a file as a
    send takes it, with `text` as its caption)."""

    type: Literal["text", "image", "video"] = "text"
    text: Text | None = Field(None, description="The text, or the file's caption.")
    background_color: Color | None = Field(
        None, description="A text status's background, #RRGGBB.", examples=["#25D366"])
    font: StrictInt | None = Field(
        None, description="A text status's font: WhatsApp's FontType number (0, 1, 2, 6-10).")
    media_url: MediaUrl | None = Field(
        None, description="A public http(s) URL the server fetches the file from.")
    media: str | None = Field(None, description="The file, base64-encoded.")
    mimetype: MimeType | None = None

    @model_validator(mode="after")
    def _content_and_style_fit_the_type(self) -> "StoryIn":
        files = [value for value in (self.media, self.media_url) if value is not None]
        if self.type == "text":
            if self.text is None:
                raise invalid("content_required", NEEDS_TEXT)
            if files or self.mimetype:
                raise invalid("file_not_allowed", NO_FILE)
        elif len(files) != 1:
            raise invalid("file_required", NEEDS_ONE_FILE.format(kind=self.type))
        if self.type != "text" and (self.background_color or self.font is not None):
            raise invalid("style_text_only", STYLE_TEXT_ONLY)
        if self.font is not None and self.font not in FONTS:
            raise invalid("unknown_font", NOT_A_FONT)
        return self

    def background_argb(self) -> int | None:
        if self.background_color is None:
            return None
        return 0xFF000000 | int(self.background_color[1:], 16)  # opaque
