// The cite boxes of a site built without a published address (mkdocs.yml's site_url) hold
// placeholders where the addresses go (tools/cite.py); this puts in those of the copy being
// read: a chapter's is this page and the anchor of the chapter the box belongs to (the h1
// before it), the book's is the site's, the folder this script's own folder is in.
(function () {
  "use strict";
  var PAGE = "(the address of this page)", SITE = "(the address of this site)";
  var page = location.href.split("#")[0];
  var site = new URL("..", document.currentScript.src).href;
  var titles = Array.prototype.slice.call(document.querySelectorAll("h1[id]"));
  function chapterOf(node) {
    var found = "";
    titles.forEach(function (h1) {
      if (h1.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_FOLLOWING) found = "#" + h1.id;
    });
    return page + found;
  }
  function filled(text, node) {
    return text.split(PAGE).join(chapterOf(node)).split(SITE).join(site);
  }
  // A code block's text is split into highlighted spans: replace it whole (the copy button
  // copies the text as it is when pressed).
  document.querySelectorAll("pre code").forEach(function (code) {
    if (code.textContent.indexOf(PAGE) >= 0 || code.textContent.indexOf(SITE) >= 0) {
      code.textContent = filled(code.textContent, code);
    }
  });
  var walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  nodes.forEach(function (node) {
    if (node.nodeValue.indexOf(PAGE) >= 0 || node.nodeValue.indexOf(SITE) >= 0) {
      node.nodeValue = filled(node.nodeValue, node);
    }
  });
})();
