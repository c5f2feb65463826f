// Step player: draws every decoder step of one trace in the browser, with no server round trip.
//
// Python (seq2seq_viz/views/stepper/__init__.py) sends a "book" once per trace, language and
// size: the labels (from the i18n files), the figures (plotly specs made by the figure
// builders), and for every step a list of sections, each a list of blocks (see the block types
// in draw() below). This file never computes model numbers: it only shows the step asked for.
// Moving (Previous / Next / slider / Play, keys) changes the view here and the `step` query
// parameter in the URL (history.replaceState); Streamlit is not told, so nothing reruns.
// keyMove (keys.js, shared with the lesson) is put in front of this file by Python.

const PLAY_MS = 1500;
const controllers = new WeakMap(); // parentElement -> controller of the book it shows

export default function mountStepper({ data: [data], parentElement }) {
  // the book comes as the one element of a list (a dict would make Streamlit import pandas)
  const root = parentElement.querySelector(".s2s-stepper");
  loadKatex(data.katex);
  loadPlotly(data.plotly_chunk);
  let ctl = controllers.get(parentElement);
  if (ctl && ctl.book.id === data.id) return () => {}; // same book: keep the current step
  if (ctl) ctl.stop();
  ctl = new Stepper(root, data, ctl);
  controllers.set(parentElement, ctl);
  return () => {}; // Streamlit keeps the element across reruns; stop() runs on a new book
}

class Stepper {
  // `previous`: the stepper of the book shown before in this element, if any. Its section
  // boxes and plot divs are kept, so a new sentence updates them (Plotly.react) instead of
  // building the page again.
  constructor(root, book, previous) {
    this.root = root;
    this.book = book;
    this.nStages = book.present ? book.stage_count : 1;
    this.last = book.steps.length - 1;
    this.position = clamp(book.initial_step, 0, this.last) * this.nStages;
    this.timer = null;
    this.stopped = false;
    root.classList.toggle("s2s-present", Boolean(book.present));
    root.dataset.book = book.id;
    // Kept from the book before, so a new sentence reuses the boxes and plot divs:
    this.plots = previous ? previous.plots : new Map(); // slot name -> Plot (below)
    this.sections = previous ? previous.sections : new Map(); // section id -> Box (below)
    this.later = new Set(); // Plots below the screen, drawn in idle time
    if (!previous) root.querySelector(".s2s-body").replaceChildren();
    this.intro = [];
    this.buildIntro();
    this.buildBar();
    this.onKey = (event) => this.key(event);
    document.addEventListener("keydown", this.onKey);
    this.show();
  }

  stop() {
    this.stopped = true;
    this.pause();
    document.removeEventListener("keydown", this.onKey);
  }

  get step() {
    return Math.floor(this.position / this.nStages);
  }

  get stage() {
    return this.position % this.nStages;
  }

  // Sections above the bar that do not change with the step (the source tokens and the
  // encoder states): drawn once per book.
  buildIntro() {
    const intro = this.root.querySelector(".s2s-intro");
    intro.replaceChildren();
    for (const section of this.book.intro || []) {
      intro.append(this.section(section, this.intro));
    }
  }

  // The bar: Previous, Next, Play and the slider, labelled from the book.
  buildBar() {
    const bar = this.root.querySelector(".s2s-bar");
    const labels = this.book.labels;
    bar.replaceChildren();
    if (this.last <= 0) {
      bar.append(el("p", "s2s-caption", labels.only_one));
      return;
    }
    this.prev = button(labels.prev, "s2s-prev", () => this.move(-1));
    this.next = button(labels.next, "s2s-next s2s-primary", () => this.move(1));
    this.play = button(labels.play, "s2s-play", () => this.togglePlay());
    this.play.title = labels.play_help;
    this.play.setAttribute("aria-pressed", "false");
    const slider = el("label", "s2s-slider");
    const name = el("span", "s2s-slider-label", labels.slider);
    this.value = el("span", "s2s-slider-value", "");
    this.range = document.createElement("input");
    Object.assign(this.range, { type: "range", min: 0, max: this.last, step: 1 });
    this.range.setAttribute("aria-label", labels.slider);
    this.range.addEventListener("input", () => this.go(Number(this.range.value) * this.nStages));
    slider.append(name, this.value, this.range);
    bar.append(this.prev, this.next, this.play, slider);
  }

  move(delta) {
    this.go(this.position + delta);
  }

  // A presenter's forward key: a prediction question on screen not yet answered is revealed
  // first (the room guessed; this press shows the answer), the press after moves on.
  forward() {
    const open = [...this.root.querySelectorAll(".s2s-question:not([data-revealed])")].find(
      (node) => node.offsetParent !== null,
    );
    if (open) open.reveal(-1);
    else this.move(1);
  }

  go(position) {
    const end = (this.last + 1) * this.nStages - 1;
    const next = clamp(position, 0, end);
    if (next === this.position) return;
    this.position = next;
    this.show();
  }

  togglePlay() {
    if (this.timer) return this.pause();
    this.play.setAttribute("aria-pressed", "true");
    this.play.classList.add("s2s-on");
    this.timer = setInterval(() => {
      if (this.step >= this.last) return this.pause();
      this.go((this.step + 1) * this.nStages);
    }, PLAY_MS);
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    if (this.play) {
      this.play.setAttribute("aria-pressed", "false");
      this.play.classList.remove("s2s-on");
    }
  }

  // Keys (keys.js): arrows always; in presentation mode also a presenter's remote and Space.
  key(event) {
    const move = this.root.isConnected ? keyMove(event, Boolean(this.book.present)) : 0;
    if (!move) return;
    if (move > 0) this.forward();  // an open question is revealed before the step moves on
    else this.move(move);
    event.preventDefault();
  }

  // Draw the current step (and stage). Sections and blocks stay in the page between steps:
  // only a block whose data changed is rebuilt, and a figure is updated in place by
  // Plotly.react (which redraws only what differs), so a step costs a few milliseconds.
  show() {
    const step = this.book.steps[this.step];
    if (this.range) {
      this.range.value = String(this.step);
      this.value.textContent = String(this.step);
      this.prev.disabled = this.position === 0;
      this.next.disabled = this.position === (this.last + 1) * this.nStages - 1;
    }
    const sections = this.book.present
      ? [...step.head, stageCaption(this.book, this.stage), step.stages[this.stage]]
      : [...step.head, ...step.stages];
    const drawing = [];
    const body = this.root.querySelector(".s2s-body");
    const shownIds = new Set(sections.map((s) => s.id));
    for (const node of body.children) node.hidden = !shownIds.has(node.dataset.section);
    sections.forEach((section, k) => {
      const box = this.section(section, drawing);
      if (body.children[k] !== box) body.insertBefore(box, body.children[k] || null);
    });
    this.root.dataset.step = String(this.step);
    this.root.dataset.stage = String(this.stage);
    setStepInUrl(this.step);
    // data-shown-*: what is on screen is drawn; data-drawn-*: every figure of the step is.
    const shown = this.position;
    Promise.all([...this.intro, ...drawing])
      .then(() => {
        if (shown !== this.position) return false; // a newer step is being drawn
        this.root.dataset.shownStep = String(this.step);
        this.root.dataset.shownStage = String(this.stage);
        return this.drawLater(shown);
      })
      .then((current) => {
        if (!current || shown !== this.position) return;
        this.root.dataset.drawnStep = String(this.step);
        this.root.dataset.drawnStage = String(this.stage);
      });
  }

  // The section's box (made once per section id), with each block brought up to date.
  section(section, drawing) {
    let box = this.sections.get(section.id);
    if (!box) {
      box = new Box(section);
      this.sections.set(section.id, box);
    }
    box.node.hidden = false;
    box.title.textContent = section.title || "";
    box.title.hidden = !section.title;
    for (const side of Object.keys(box.cols)) {
      const blocks = section[side] || [];
      blocks.forEach((block, i) => this.update(box, side, i, block, drawing));
      const col = box.cols[side];
      while (col.children.length > blocks.length) col.lastChild.remove();
    }
    return box.node;
  }

  update(box, side, i, block, drawing) {
    const slot = `${box.id}.${side}.${i}`;
    // A figure block names an index into this book's figures: the same block in a new book may
    // be a different figure, so the book is part of what is compared.
    const json = (block.type === "figure" ? this.book.id : "") + JSON.stringify(block);
    const old = box.slots.get(slot);
    if (old && old.json === json) return;
    const node = block.type === "figure" ? this.figure(block, slot, drawing) : this.block(block);
    const col = box.cols[side];
    if (old && old.node !== node && old.node.parentNode === col) old.node.replaceWith(node);
    else if (!old) col.append(node);
    box.slots.set(slot, { json, node });
  }

  // One block. Types: latex (a constant formula), markdown (constant i18n text: **bold**,
  // *italic* and $math$ only), text (literal, e.g. user tokens), note (markdown in a box),
  // metrics (label markdown, value literal), figure (index into book.figures), table.
  block(block) {
    switch (block.type) {
      case "latex":
        return math(block.tex, true);
      case "markdown":
        return markdown(block.text, "p", "s2s-markdown");
      case "caption":
        return markdown(block.text, "p", "s2s-caption");
      case "text":
        return el("p", "s2s-text", block.text);
      case "note":
        return markdown(block.text, "div", `s2s-note s2s-${block.tone || "info"}`);
      case "metrics":
        return metrics(block.items);
      case "table":
        return table(block);
      case "question":
        return question(block);
      default:
        return el("p", "s2s-caption", `?${block.type}`);
    }
  }

  // A figure on screen (or about to be) is drawn now; one further down is drawn right after,
  // in the browser's idle time (drawLater), so Next shows what a person sees first.
  figure(block, slot, drawing) {
    let plot = this.plots.get(slot);
    if (!plot) {
      plot = new Plot();
      this.plots.set(slot, plot);
    }
    plot.div.dataset.figure = block.name;
    plot.wanted = block;
    if (plot.div.isConnected && !nearScreen(plot.div)) {
      this.later.add(plot);
      return plot.div;
    }
    this.later.delete(plot);
    drawing.push(this.draw(plot));
    return plot.div;
  }

  // `responsive`: the chart follows its box's width. Plotly resizes a responsive chart whenever
  // its box changes size (a window resize; presentation mode's wider column and taller figures)
  // and then drops the layout's height for the box's own, which is only as tall as the drawing
  // inside it: the chart collapsed to the box's least height (200 px). So the box is given the
  // figure's height first, in the same task as the draw.
  draw(plot) {
    const block = plot.wanted;
    const spec = this.spec(block.figure);
    const drawn = plotly().then((Plotly) => {
      const height = spec.layout && spec.layout.height;
      plot.div.style.height = height ? `${height}px` : "";
      return Plotly.react(plot.div, spec.data, themed(spec.layout, this.root), {
        displaylogo: false,
        responsive: true,
        toImageButtonOptions: { format: "png", filename: `seq2seq-viz-${block.name}`, scale: 2 },
      });
    });
    if (block.name === "heatmap") drawn.then(() => this.jumpOnClick(plot));
    return drawn;
  }

  // The plotly spec of figure `i`: sent as JSON text (the server keeps figures as text),
  // parsed once, when first drawn.
  spec(i) {
    const figures = this.book.figures;
    if (typeof figures[i] === "string") figures[i] = JSON.parse(figures[i]);
    return figures[i];
  }

  // Draw the figures left for later, one per idle moment; a newer step only changes what each
  // one is asked to show (plot.wanted), so none is drawn stale.
  async drawLater(position) {
    for (const plot of [...this.later]) {
      await idle();
      if (this.stopped) return false; // a new book took over these plot divs
      if (!this.later.delete(plot)) continue; // drawn on screen meanwhile
      await this.draw(plot);
    }
    return position === this.position;
  }

  // Clicking a cell of the attention heatmap jumps to that cell's decoder step (its row; rows
  // are numbered 0..T-1). Registered once per plot div: Plotly.react keeps its listeners.
  jumpOnClick(plot) {
    plot.owner = this; // plot divs outlive a book (a new sentence): the current one moves
    if (plot.jumps) return;
    plot.jumps = true;
    plot.div.on("plotly_click", (event) => {
      const row = Number(event.points && event.points[0] && event.points[0].y);
      if (Number.isInteger(row)) plot.owner.go(row * plot.owner.nStages);
    });
  }
}

// A section's box: its title and columns, and the block shown in each slot of them.
class Box {
  constructor(section) {
    this.id = section.id;
    this.node = el("section", "s2s-section");
    this.node.dataset.section = section.id;
    this.title = this.node.appendChild(el("h3", "s2s-title"));
    const columns = this.node.appendChild(el("div", section.right ? "s2s-columns" : "s2s-single"));
    this.cols = { left: columns.appendChild(el("div", "s2s-col s2s-left")) };
    if (section.right) this.cols.right = columns.appendChild(el("div", "s2s-col s2s-right"));
    this.slots = new Map(); // slot name -> { json of the block shown, its node }
  }
}

// A plot div and what it is asked to show; kept across books (see Stepper.plots).
class Plot {
  constructor() {
    this.div = el("div", "s2s-plot");
    this.wanted = null; // the figure block to draw next
    this.owner = null; // the stepper a click on the heatmap moves
    this.jumps = false; // the click listener is registered
  }
}

// ---- small helpers -------------------------------------------------------------------------

function clamp(x, lo, hi) {
  return Math.min(Math.max(Number(x) || 0, lo), hi);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, className, onClick) {
  const node = el("button", `s2s-button ${className}`, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

function stageCaption(book, stage) {
  const text = book.labels.stage.replace("{n}", stage + 1).replace("{total}", book.stage_count);
  return { id: "stage-caption", left: [{ type: "caption", text }] };
}

// The browser's next idle moment (at most 200 ms away).
function idle() {
  return new Promise((resolve) =>
    window.requestIdleCallback ? window.requestIdleCallback(resolve, { timeout: 200 }) : setTimeout(resolve, 0),
  );
}

// On screen, or within a quarter of a screen below it (hidden boxes have no size: far).
function nearScreen(node) {
  const box = node.getBoundingClientRect();
  return box.height > 0 && box.bottom > 0 && box.top < 1.25 * window.innerHeight;
}

function setStepInUrl(step) {
  const url = new URL(window.location.href);
  if (url.searchParams.get("step") === String(step)) return;
  url.searchParams.set("step", String(step));
  window.history.replaceState(window.history.state, "", url);
}

// plotly.js is Streamlit's own copy: importing the chunk that draws st.plotly_chart sets
// window.Plotly. It is a static file the browser caches (and already has if the page shows a
// Streamlit chart). Where Streamlit has no such chunk, Python mounts plotly_loader.js instead,
// which sets window.Plotly from plotly.py's copy. Either way, wait for it.
let plotlyReady = null;
let plotlyRequested = false;
function plotly() {
  plotlyReady ||= new Promise((resolve) => {
    const poll = () => (window.Plotly ? resolve(window.Plotly) : setTimeout(poll, 20));
    poll();
  });
  return plotlyReady;
}

function loadPlotly(file) {
  if (window.Plotly || !file || plotlyRequested) return;
  plotlyRequested = true;
  const url = streamlitChunk(file);
  if (url) import(url).catch(() => {});
}

// The URL of one of Streamlit's own script files, next to the ones this page loaded.
function streamlitChunk(file) {
  const script = document.querySelector('script[type="module"][src*="/static/js/"]');
  return script ? new URL(file, script.src).href : null;
}

// Figures are built with plotly's "none" template; take the page's colours and font.
function themed(layout, root) {
  const style = getComputedStyle(root);
  const color = style.getPropertyValue("--st-text-color").trim() || style.color;
  const font = { ...(layout.font || {}), color, family: style.fontFamily };
  return { ...layout, font, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)" };
}

function metrics(items) {
  const row = el("div", "s2s-metrics");
  for (const item of items) {
    const box = el("div", "s2s-metric");
    if (item.help) box.title = item.help;
    box.append(markdown(item.label, "div", "s2s-metric-label"));
    box.append(el("div", "s2s-metric-value", item.value));
    row.append(box);
  }
  return row;
}

// A prediction question (views/step_sections.question_block): the prompt and one button per
// choice; a click (or Reveal, or a presenter's forward key) shows the verdict Python wrote for
// that choice, the reason and the numbers. All text is literal (textContent).
function question(block) {
  const box = el("div", "s2s-question");
  box.dataset.question = block.id;
  box.append(el("p", "s2s-question-title", block.title));
  box.append(el("p", "s2s-question-prompt", block.prompt));
  const choices = el("div", "s2s-choices");
  const buttons = block.choices.map((label, i) => {
    const node = button(label, "s2s-choice", () => box.reveal(i));
    node.dataset.choice = String(i);
    choices.append(node);
    return node;
  });
  const reveal = button(block.reveal, "s2s-reveal", () => box.reveal(-1));
  box.append(choices, reveal);
  box.reveal = (chosen) => {
    if (box.dataset.revealed) return;
    box.dataset.revealed = chosen < 0 ? "shown" : chosen === block.answer ? "right" : "wrong";
    buttons.forEach((node, i) => {
      node.disabled = true;
      node.classList.toggle("s2s-answer", i === block.answer);
      node.classList.toggle("s2s-chosen", i === chosen);
    });
    reveal.hidden = true;
    const tone = chosen < 0 ? "info" : chosen === block.answer ? "right" : "wrong";
    const verdict = chosen < 0 ? block.revealed : chosen === block.answer ? block.right : block.wrong[chosen];
    const note = el("div", `s2s-verdict s2s-${tone}`);
    note.append(el("p", "s2s-verdict-head", verdict), el("p", "s2s-verdict-why", block.explain));
    box.append(note);
    if (block.values.length) {
      box.append(table({ title: null, columns: ["", block.value_label], rows: block.choices.map((c, i) => [c, block.values[i]]) }));
    }
  };
  return box;
}

// Numbers are shown with 4 decimals; the full value stays in data-value.
function table(block) {
  const wrap = el(block.title ? "details" : "div", "s2s-table");
  if (block.title) {
    wrap.open = block.open;
    wrap.append(el("summary", "", block.title));
  }
  const grid = el("table");
  const head = el("tr");
  block.columns.forEach((name) => head.append(el("th", "", name)));
  grid.append(head);
  for (const row of block.rows) {
    const tr = el("tr");
    for (const cell of row) {
      const td = el("td", typeof cell === "number" ? "s2s-num" : "");
      td.textContent = typeof cell === "number" && !Number.isInteger(cell) ? cell.toFixed(4) : String(cell);
      td.dataset.value = String(cell);
      tr.append(td);
    }
    grid.append(tr);
  }
  wrap.append(grid);
  return wrap;
}

// Constant markdown from the i18n files: text is escaped first (textContent), then only
// **bold**, *italic* and $math$ become markup.
function markdown(text, tag, className) {
  const node = el(tag, className);
  String(text).split(/(\$[^$]+\$)/).forEach((part) => {
    if (part.length > 2 && part.startsWith("$") && part.endsWith("$")) {
      node.append(math(part.slice(1, -1), false));
    } else {
      part.split(/(\*\*[^*]+\*\*|\*[^*]+\*)/).forEach((piece) => {
        if (piece.startsWith("**") && piece.endsWith("**") && piece.length > 4) {
          node.append(el("strong", "", piece.slice(2, -2)));
        } else if (piece.startsWith("*") && piece.endsWith("*") && piece.length > 2) {
          node.append(el("em", "", piece.slice(1, -1)));
        } else if (piece) {
          node.append(document.createTextNode(piece));
        }
      });
    }
  });
  return node;
}

// KaTeX is Streamlit's own copy (the chunk st.latex uses), found next to Streamlit's scripts.
// Until it has loaded, or if it cannot be found, the TeX source is shown as code.
let katex = null;
let katexRequested = false;
const katexWaiting = [];
function loadKatex(file) {
  if (katex || !file || katexRequested) return;
  katexRequested = true;
  const url = streamlitChunk(file);
  if (!url) return;
  import(url)
    .then((module) => {
      katex = module.default;
      katexWaiting.splice(0).forEach(([node, tex, display]) => renderMath(node, tex, display));
    })
    .catch(() => {});
}

function math(tex, display) {
  const node = el(display ? "div" : "span", display ? "s2s-latex" : "s2s-math");
  if (katex) renderMath(node, tex, display);
  else {
    node.append(el("code", "", tex));
    katexWaiting.push([node, tex, display]);
  }
  return node;
}

function renderMath(node, tex, display) {
  try {
    katex.render(tex, node, { displayMode: display, throwOnError: false });
  } catch {
    node.replaceChildren(el("code", "", tex));
  }
}

