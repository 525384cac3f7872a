"""What a Chinese reader of LocalSight needs outside the translation itself.

The window speaks Simplified Chinese, but a fresh Debian, Ubuntu or Raspberry Pi OS has no
CJK font: without one every Chinese sentence is a row of boxes.  So both ways of installing
(``packaging/install.sh``'s apt list and the ``.deb``'s ``Depends:`` in
``packaging/build.sh``) must bring one, and README.zh-CN.md must tell the same two
commands as README.md, or a Chinese reader follows an outdated install.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import REPO

#: Debian packages that give fontconfig a Simplified Chinese font (in Bookworm and Trixie,
#: Architecture: all, so on arm64 too).
CJK_FONTS = frozenset(
    {
        "fonts-wqy-microhei",
        "fonts-wqy-zenhei",
        "fonts-noto-cjk",
        "fonts-arphic-ukai",
        "fonts-arphic-uming",
        "fonts-droid-fallback",
    }
)


def install_packages(script: str) -> list[str]:
    """The names in install.sh's ``apt_packages=( ... )`` (its runtime list), without
    comments."""
    body = re.search(r"^apt_packages=\((.*?)^\)", script, re.S | re.M)
    assert body, "install.sh has no apt_packages=( ... ) list"
    return [word for line in body.group(1).splitlines() for word in line.split("#")[0].split()]


def deb_depends(script: str) -> list[list[str]]:
    """The .deb control's ``Depends:`` as groups of alternatives (``a | b`` is one group),
    versions dropped."""
    line = re.search(r"^Depends: (.*)$", script, re.M)
    assert line, "build.sh writes no Depends: line"
    return [
        [re.sub(r"\s*\(.*\)", "", name).strip() for name in group.split("|")]
        for group in line.group(1).split(",")
    ]


def quick_start(readme: str, heading: str) -> list[str]:
    """The ```sh blocks of the section ``heading`` (up to the next ``## `` heading)."""
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, f"no '## {heading}' section"
    return re.findall(r"^```sh\n(.*?)^```", section.group(1), re.S | re.M)


def test_install_sh_installs_a_cjk_font() -> None:
    packages = install_packages((REPO / "packaging/install.sh").read_text())
    assert "libfontconfig1" in packages  # the parser read the real list
    assert CJK_FONTS & set(packages), packages


def test_deb_depends_on_a_cjk_font_any_of_the_usual_ones() -> None:
    groups = deb_depends((REPO / "packaging/build.sh").read_text())
    assert ["libgl1"] in groups  # the parser read the real line
    fonts = [group for group in groups if CJK_FONTS & set(group)]
    assert len(fonts) == 1, groups
    (group,) = fonts
    assert len(group) > 1, "one font only: a machine with another CJK font gets a second"
    assert set(group) <= CJK_FONTS, group
    # install.sh installs the .deb's first choice: one font whichever way LocalSight came.
    assert group[0] in install_packages((REPO / "packaging/install.sh").read_text())


def test_the_chinese_readme_has_the_same_quick_start_commands() -> None:
    english = quick_start((REPO / "README.md").read_text(), "Quick start")
    chinese = quick_start((REPO / "README.zh-CN.md").read_text(), "快速开始")
    assert len(english) == 2, english
    assert chinese == english


def test_the_readmes_link_each_other_and_the_chinese_screenshots_exist() -> None:
    english = (REPO / "README.md").read_text()
    chinese = (REPO / "README.zh-CN.md").read_text()
    assert "[简体中文](README.zh-CN.md)" in english.split("\n## ")[0]  # at the top
    assert "](README.md)" in chinese.split("\n## ")[0]
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", chinese)
    assert {"docs/window-empty-zh_CN.png", "docs/window-chat-zh_CN.png"} <= set(images)
    missing = [image for image in images if not Path(REPO / image).is_file()]
    assert not missing
