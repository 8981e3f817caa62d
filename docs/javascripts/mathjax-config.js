// MathJax 3 settings for pymdownx.arithmatex (generic mode). The MathJax file
// itself, tex-svg-full.js, ships inside the built site (tools/mkdocs_hooks.py
// copies it from the django-static-mathjax package): no CDN, no web fonts,
// because SVG output draws every glyph itself.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
  svg: { fontCache: "global" },
};
