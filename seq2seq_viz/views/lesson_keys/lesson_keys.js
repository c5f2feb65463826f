// Presenter keys for the lesson page: a clicker sends PageDown / PageUp (some send → / ←),
// a keyboard → / ← / Space. Each press is sent to Python as a trigger value
// {move: +1 | -1, n: press count}; Python moves the lesson one stage (views/lesson_page.py).
// Nothing is drawn: this component only listens on the page's document (no iframe).
// Which keys count, and which are left alone (typing in a field, Space on a button), is
// keyMove's rule in ../stepper/keys.js, shared with the step player; Python puts it in front.

export default function mountLessonKeys({ setTriggerValue }) {
  let presses = 0;
  const onKey = (event) => {
    const move = keyMove(event, true);
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
