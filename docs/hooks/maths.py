"""MkDocs hook: the pages' TeX becomes MathML when the site is built.

`pymdownx.arithmatex` (with `generic: true`) finds the maths, `\\(...\\)` inline
and `\\[...\\]` on its own lines, and leaves it HTML-escaped in
`<span class="arithmatex">` and `<div class="arithmatex">`. This hook turns each
into MathML with latex2mathml, so browsers draw the maths themselves: the site
needs no JavaScript and no network for it. TeX that latex2mathml cannot read is
a warning, so `mkdocs build --strict` fails on it.
"""

import html
import logging
import re

from latex2mathml.converter import convert

log = logging.getLogger("mkdocs.hooks.maths")

# Where latex2mathml's MathML reads differently from TeX: "/" and "|" are
# ordinary symbols in TeX, with no space around them (MathML spaces operators),
# and \sim is the operator U+223C, not a tilde.
AS_IN_TEX = {
    "<mo>&#x0002F;</mo>": '<mo lspace="0" rspace="0">&#x0002F;</mo>',
    '<mo stretchy="false">&#x0007C;</mo>': (
        '<mo stretchy="false" lspace="0" rspace="0">&#x0007C;</mo>'
    ),
    "<mi>&#x0007E;</mi>": "<mo>&#x0223C;</mo>",
}

MATH = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\\[(\[](?P<tex>.*?)\\[)\]]</(?P=tag)>',
    re.S,
)


def on_page_content(content, page, **kwargs):
    def mathml(match):
        tex = html.unescape(match["tex"]).strip()
        display = "block" if match["tag"] == "div" else "inline"
        try:
            mathml = convert(tex, display=display)
        except Exception as error:  # latex2mathml raises many kinds
            log.warning("%s: cannot render \\(%s\\): %s", page.file.src_uri, tex, error)
            return match[0]
        for latex2mathml, tex_like in AS_IN_TEX.items():
            mathml = mathml.replace(latex2mathml, tex_like)
        return mathml

    return MATH.sub(mathml, content)
