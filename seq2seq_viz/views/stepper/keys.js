// The keys that move the step player (stepper.js) and the lesson (lesson_keys.js): one rule
// for both. Python puts this file in front of each of them (it is not a module of its own).
//
// → moves forward and ← back, always; with `presenter` (presentation mode, the lesson) also the
// keys a presenter's remote sends: PageDown / Space forward, PageUp back. Left alone: keys with
// Alt / Ctrl / Meta, keys another handler took already, keys typed into a field or a picker
// (so typing a sentence never moves anything), and Space on a focused button (the button
// clicks itself, so one press acts once).

const KEY_FIELDS = "input, textarea, select, [contenteditable=''], [contenteditable='true'], [role='slider'], [role='combobox'], [role='option']";

// +1 (forward), -1 (back) or 0 (not ours) for a keydown event.
function keyMove(event, presenter) {
  if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return 0;
  const target = event.target instanceof Element ? event.target : null;
  if (target && target.closest(KEY_FIELDS)) return 0;
  const space = event.key === " " || event.key === "Spacebar";
  if (space && target && target.closest("button")) return 0;
  if (event.key === "ArrowRight" || (presenter && (event.key === "PageDown" || space))) return 1;
  if (event.key === "ArrowLeft" || (presenter && event.key === "PageUp")) return -1;
  return 0;
}
