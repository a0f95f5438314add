"""Profiles: whether a print shop's ICC file is one the print PDF can use (a CMYK printer
profile that littleCMS, through Pillow, can turn colours into)."""

from __future__ import annotations


def profile_problem(value: str, data: bytes) -> str | None:
    """What is wrong with the profile ``value`` whose bytes are ``data``, in the content's words;
    None when the print PDF can use it."""
    header = data[:40]
    if len(header) < 40 or header[36:40] != b"acsp":
        return f"'{value}' is not an ICC profile; ask the print shop for its .icc file"
    if header[12:16] != b"prtr" or header[16:20] != b"CMYK":
        return (f"'{value}' is a {header[16:20].decode(errors='replace').strip()} '{header[12:16].decode(errors='replace')}' "
                "profile; the print PDF needs a CMYK printer ('prtr') profile, such as the shop's press or paper profile")
    if not _usable_profile(data):
        return (f"'{value}' is a CMYK printer profile the colour engine (littleCMS) cannot use; "
                "ask the print shop for its .icc file again")
    return None


def _usable_profile(data: bytes) -> bool:
    """Whether littleCMS turns a colour into the profile's CMYK (some profiles say CMYK in their
    header and are not usable: "Could not determine profile size")."""
    import io

    from PIL import Image, ImageCms

    try:
        into = ImageCms.buildTransform(ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(io.BytesIO(data)),
                                       "RGB", "CMYK")
        ImageCms.applyTransform(Image.new("RGB", (1, 1), (29, 92, 115)), into)
    except (OSError, ImageCms.PyCMSError):
        return False
    return True
