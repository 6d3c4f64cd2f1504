"""PDF helpers shared by every feature that prints (minutes, certificates): the embedded Chinese font."""
from hub import env

#: A TrueType-outline CJK font (reportlab embeds TrueType only; Noto CJK is CFF). Debian: fonts-wqy-microhei.
PDF_FONT = env.get("HUB_PDF_FONT") or "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_NAME = "HubCJK"


def cjk_font() -> str:
    """The registered reportlab name of the Chinese font, registering it on first use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, PDF_FONT, subfontIndex=0))
    return FONT_NAME
