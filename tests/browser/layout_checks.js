// The layout rules every page must keep, run in the page by tests/browser/test_layout_of_every_page.py.
// Returns a list of problems, each a short sentence naming the element it is about.
(phone) => {
  const problems = [];
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 0 && box.height > 0;
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "").trim();
    const id = el.id ? `#${el.id}` : "";
    const classes = el.classList.length ? `.${[...el.classList].join(".")}` : "";
    return `<${el.tagName.toLowerCase()}${id}${classes}> "${text.slice(0, 30)}"`;
  };
  // How wide a text is on one line in the element's font, measured on a canvas.
  const canvas = document.createElement("canvas").getContext("2d");
  const oneLineWidth = (el, text) => {
    const style = getComputedStyle(el);
    canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return canvas.measureText(text).width;
  };
  const labelOf = (el) => {
    if (el.tagName === "BUTTON") return el.innerText.trim();
    if (el.tagName === "SELECT") return el.selectedOptions.length ? el.selectedOptions[0].text.trim() : "";
    if (el.type === "submit" || el.type === "button") return el.value;
    return el.getAttribute("placeholder") || "";
  };

  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    const wide = [...document.querySelectorAll("body *")].filter(
      (el) => visible(el) && el.getBoundingClientRect().right > window.innerWidth + 1,
    );
    const culprit = wide.find((el) => !wide.includes(el.parentElement)) || root;
    problems.push(`scrolls sideways: ${root.scrollWidth}px in ${window.innerWidth}px, from ${describe(culprit)}`);
  }

  const skipped = new Set(["hidden", "checkbox", "radio", "file", "range", "color"]);
  for (const el of document.querySelectorAll("input, select, button, textarea")) {
    if (skipped.has(el.type) || !visible(el)) continue;
    const box = el.getBoundingClientRect();
    // A text-like button (class "link") sits in running text; its target is the line it is on.
    const inline = el.classList.contains("link");
    if (phone && !inline && box.height < 44) {
      problems.push(`${describe(el)} is ${Math.round(box.height)}px tall, under 44px`);
    }
    const style = getComputedStyle(el);
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const room = el.clientWidth - padding;
    const label = labelOf(el);
    // A label may have lines of its own, and a long one may wrap between words: its longest
    // line must fit, or at least eight characters of it.
    const longest = Math.max(0, ...label.split("\n").map((line) => oneLineWidth(el, line.trim())));
    const needed = Math.min(longest, 8 * parseFloat(style.fontSize));
    if (label && room + 1 < needed) {
      problems.push(`${describe(el)} is ${Math.round(room)}px wide inside, its label needs ${Math.round(needed)}px`);
    }
    if (el.tagName === "BUTTON" && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${describe(el)} cuts off its label`);
    }
  }

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    const text = node.textContent.trim();
    if (!el || seen.has(el) || [...text].length < 4 || !visible(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const font = parseFloat(style.fontSize);
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
    // Four characters wide at least: a text squeezed under that wraps into a column of letters.
    if (lines > 2 && box.width < 4 * font) {
      problems.push(`text "${text.slice(0, 20)}" in ${describe(el)} is ${Math.round(box.width)}px wide over ${lines} lines`);
    }
  }
  return problems;
}
