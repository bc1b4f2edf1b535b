// Shared by every playground of the book: building controls and painting numbers as colours.
// utils/playground/_page.py puts this file in front of each playground's own script.
const Playground = {
  // el("div", {class: "x", style: "..."}, child, "text", ...): an element with attributes and children
  el(tag, attrs, ...children) {
    const svg = tag === "svg" || tag === "rect";
    const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    children.forEach((c) => e.append(c));
    return e;
  },
  // a labelled range slider with its value shown next to it; returns {label, input, shown}
  slider(text, cls, min, max, value) {
    const input = Playground.el("input", {class: cls, type: "range", min, max, value, "aria-label": text});
    const shown = Playground.el("b", {class: `${cls}-value`}, String(value));
    const label = Playground.el("label", {style: "display:block"}, `${text} `, input, " ", shown);
    input.addEventListener("input", () => { shown.textContent = input.value; });
    return {label, input, shown};
  },
  canvas(cls, size) {
    return Playground.el("canvas", {class: cls, width: size, height: size, style: "border:1px solid #ccc"});
  },
  // a titled column: <div><b>title</b> note<br>child</div>
  column(title, child, note) {
    return Playground.el("div", {}, Playground.el("b", {}, title), note ? ` ${note}` : "", Playground.el("br"), child);
  },
  row(...children) {
    return Playground.el("div", {style: "display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap"}, ...children);
  },
  // paint rows x cols values (row-major) on a canvas, one rectangle per value
  paint(canvas, values, rows, cols, colour) {
    const ctx = canvas.getContext("2d"), cw = canvas.width / cols, ch = canvas.height / rows;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        ctx.fillStyle = colour(values[r * cols + c]);
        ctx.fillRect(c * cw, r * ch, Math.ceil(cw), Math.ceil(ch));
      }
  },
  grey(v) { const g = Math.round(255 * v); return `rgb(${g},${g},${g})`; },
  // blue for negative, white for 0, red for positive (like show_kernel's RdBu_r); lim maps to full colour
  diverging(lim, strength = 1) {
    return (v) => {
      const t = lim > 0 ? Math.max(-1, Math.min(1, v / lim)) : 0;
      const a = Math.round(255 * (1 - strength * Math.abs(t)));
      return t >= 0 ? `rgb(255,${a},${a})` : `rgb(${a},${a},255)`;
    };
  },
  // any SVG element (el makes only svg and rect ones): svgEl("text", {x, y}, "label")
  svgEl(tag, attrs, ...children) {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    children.forEach((c) => e.append(c));
    return e;
  },
  // a labelled <select> of options (strings); returns {label, input}
  select(text, cls, options, value) {
    const input = Playground.el("select", {class: cls, "aria-label": text},
                                ...options.map((o) => Playground.el("option", {value: o}, o)));
    input.value = value;
    return {label: Playground.el("label", {style: "display:block"}, `${text} `, input), input};
  },
  // a labelled checkbox; returns {label, input}
  checkbox(text, cls, checked) {
    const input = Playground.el("input", {class: cls, type: "checkbox", "aria-label": text});
    input.checked = Boolean(checked);
    return {label: Playground.el("label", {style: "display:block"}, input, ` ${text}`), input};
  },
  // a <code> line with a copy button: the clipboard where the page may use it, else the
  // line is selected for Ctrl+C; returns {box, code, button}
  copyable(cls) {
    const code = Playground.el("code", {class: cls, style: "white-space:pre-wrap"});
    const button = Playground.el("button", {class: `${cls}-copy`, type: "button", style: "margin-right:6px"}, "copy");
    const select = () => {
      const range = document.createRange();
      range.selectNodeContents(code);
      window.getSelection().removeAllRanges();
      window.getSelection().addRange(range);
      button.textContent = "selected: Ctrl+C";
    };
    button.addEventListener("click", () => {
      if (!navigator.clipboard || !window.isSecureContext) return select();
      navigator.clipboard.writeText(code.textContent).then(() => { button.textContent = "copied"; }, select);
    });
    return {box: Playground.el("div", {style: "margin:2px 0"}, button, code), code, button};
  },
};
