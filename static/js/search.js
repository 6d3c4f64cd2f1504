// Search results: mark the query's words in titles and snippets. The server sends them as plain text (and the
// words in data-highlight) so that its HTML holds every title unbroken; marking happens here, in the browser.
(() => {
  const escape = (word) => word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const list of document.querySelectorAll("[data-highlight]")) {
    let words;
    try { words = JSON.parse(list.dataset.highlight); } catch { continue; }
    if (!Array.isArray(words) || !words.length) continue;
    const pattern = new RegExp(words.map(escape).join("|"), "gi");
    for (const element of list.querySelectorAll(".result-title, .result-snippet")) {
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      const nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      for (const node of nodes) {
        const text = node.nodeValue;
        pattern.lastIndex = 0;
        if (!pattern.test(text)) continue;
        pattern.lastIndex = 0;
        const fragment = document.createDocumentFragment();
        let last = 0;
        for (const match of text.matchAll(pattern)) {
          fragment.append(text.slice(last, match.index));
          const mark = document.createElement("mark");
          mark.textContent = match[0];
          fragment.append(mark);
          last = match.index + match[0].length;
        }
        fragment.append(text.slice(last));
        node.replaceWith(fragment);
      }
    }
  }
})();
