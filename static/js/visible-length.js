// A live count of the characters a reader can see, for a text box the server checks with a minimum
// (core.text.visible_length; the emergency access reason in templates/caseload/safeguards/emergency.html).
//
// The counter counts exactly as the server does, with the server's own Unicode tables (core.text.counting_rule, in
// the counter's data-unassigned and data-blank): each character the server's Unicode does not know becomes U+FFFF
// (a code point never assigned), the text is normalised (NFKC), then every character that is neither unknown to the
// server nor blank there (spaces, line breaks, zero-width and other invisible characters) counts once, a letter
// written with several code units (an emoji) too. So spaces and invisible characters typed to fill the box never make
// the counter say "enough" when the server would refuse the reason.
//
// A character this browser does not know yet (a browser older than the server's Unicode) is not counted, so the
// counter then says less than the server, never more. A browser that cannot normalise text shows no counter.
//
// Markup: <p data-visible-count="BOX_ID" data-needed="20" data-unassigned="…" data-blank="…" aria-hidden="true">, and
// <div data-visible-count-status role="status"> beside it, told the count once typing pauses for a second.
(function () {
  "use strict";
  var hint = document.querySelector("[data-visible-count]");
  if (!hint) { return; }
  var box = document.getElementById(hint.getAttribute("data-visible-count"));
  var status = document.querySelector("[data-visible-count-status]");
  var needed = parseInt(hint.getAttribute("data-needed"), 10);
  var browserUnknown = null;
  try {
    browserUnknown = new RegExp("\\p{Cn}", "u");
  } catch (error) {
    return;
  }
  if (!box || !needed || typeof "".normalize !== "function") { return; }
  var unassigned = ranges(hint.getAttribute("data-unassigned"));
  var blank = ranges(hint.getAttribute("data-blank"));
  if (!unassigned.length || !blank.length) { return; }

  // "gap.span gap.span …" in base 36: each range's first code point is gap past the code point that follows the
  // range before (past 0 for the first), its last span past its first. Kept as [first, last, first, last, …].
  function ranges(written) {
    var found = [];
    var after = 0;
    (written || "").split(" ").forEach(function (pair) {
      var parts = pair.split(".");
      if (parts.length !== 2) { return; }
      var first = after + parseInt(parts[0], 36);
      var last = first + parseInt(parts[1], 36);
      found.push(first, last);
      after = last + 1;
    });
    return found;
  }

  function within(code, list) {
    var low = 0;
    var high = list.length / 2 - 1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (code < list[2 * middle]) {
        high = middle - 1;
      } else if (code > list[2 * middle + 1]) {
        low = middle + 1;
      } else {
        return true;
      }
    }
    return false;
  }

  function visibleLength(text) {
    var known = "";
    for (var ch of text) {
      var unknown = within(ch.codePointAt(0), unassigned) || browserUnknown.test(ch);
      known += unknown ? "\uFFFF" : ch;
    }
    var count = 0;
    for (var shown of known.normalize("NFKC")) {
      var code = shown.codePointAt(0);
      if (!within(code, unassigned) && !within(code, blank)) { count += 1; }
    }
    return count;
  }

  function words() {
    var length = visibleLength(box.value);
    var noun = length === 1 ? " character" : " characters";
    if (length >= needed) { return length + noun + ". That is enough."; }
    return length + noun + ". Write " + (needed - length) + " more.";
  }

  var timer = null;
  function update() {
    hint.textContent = words();
    if (!status) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () { status.textContent = words(); }, 1000);
  }
  box.addEventListener("input", update);
  hint.textContent = words();
})();
