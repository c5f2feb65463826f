// Presenter keys for the lesson page: a clicker sends PageDown / PageUp (some send → / ←),
// a keyboard → / ← / Space. Each press is sent to Python as a trigger value
// {move: +1 | -1, n: press count}; Python moves the lesson one stage (views/lesson_page.py).
// Nothing is drawn: this component only listens on the page's document (no iframe).
//
// Keys typed into a field (the sentence box, a select, a slider) or on a focused button are left
// alone, so typing a sentence never turns the page and Space on a button clicks it only once.

const NEXT = new Set(["ArrowRight", "PageDown", " ", "Spacebar"]);
const PREV = new Set(["ArrowLeft", "PageUp"]);
const IGNORE = "input, textarea, select, button, [contenteditable=''], [contenteditable='true'], [role='slider'], [role='combobox'], [role='option']";

export default function mountLessonKeys({ setTriggerValue }) {
  let presses = 0;
  const onKey = (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    const target = event.target;
    if (target instanceof Element && target.closest(IGNORE)) return;
    const move = NEXT.has(event.key) ? 1 : PREV.has(event.key) ? -1 : 0;
    if (!move) return;
    event.preventDefault(); // no page scroll on Space / PageDown
    presses += 1;
    setTriggerValue("key", { move, n: presses });
  };
  // One listener at a time, however often Streamlit mounts this component again.
  if (window.__s2sLessonKeys) document.removeEventListener("keydown", window.__s2sLessonKeys);
  window.__s2sLessonKeys = onKey;
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    if (window.__s2sLessonKeys === onKey) window.__s2sLessonKeys = null;
  };
}
