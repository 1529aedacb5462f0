// Warns before the idle and 12-hour time-outs. "Stay signed in" renews the session in the background,
// so whatever is typed into the page stays where it is.
(function () {
  "use strict";
  var body = document.body;
  if (!body.dataset.idleSeconds) { return; }
  var dialog = document.getElementById("session-warning");
  var countdown = dialog.querySelector("[data-countdown]");
  var absoluteNote = dialog.querySelector(".pw-absolute-note");
  var stay = dialog.querySelector("[data-stay]");
  var close = dialog.querySelector("[data-close]");
  var warnBefore = 90;
  var start = Date.now();
  var idleLeft = parseInt(body.dataset.idleSeconds, 10);
  var absoluteLeft = parseInt(body.dataset.absoluteSeconds, 10);
  var idleEnds = start + idleLeft * 1000;
  var absoluteEnds = start + absoluteLeft * 1000;
  var returnFocus = null;
  var dismissedAbsolute = false;
  var csrf = document.querySelector("input[name=csrf_token]");

  function secondsTo(when) { return Math.max(0, Math.round((when - Date.now()) / 1000)); }

  function describe(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    if (minutes > 0) { return minutes + " minute" + (minutes === 1 ? "" : "s") + " and " + rest + " seconds left."; }
    return rest + " seconds left.";
  }

  function open(absolute) {
    if (dialog.open) { return; }
    returnFocus = document.activeElement;
    absoluteNote.hidden = !absolute;
    stay.hidden = absolute;
    dialog.showModal();
    (absolute ? close : stay).focus();
  }

  function shut() {
    if (dialog.open) { dialog.close(); }
    if (returnFocus && returnFocus.focus) { returnFocus.focus(); }
  }

  function tick() {
    var ends = Math.min(idleEnds, absoluteEnds);
    var left = secondsTo(ends);
    if (left <= 0) {
      window.location.assign(body.dataset.signinUrl);
      return;
    }
    var absolute = absoluteEnds <= idleEnds;
    if (left <= warnBefore && !(absolute && dismissedAbsolute)) {
      open(absolute);
      countdown.textContent = describe(left);
    }
  }

  stay.addEventListener("click", function () {
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.value : "", "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("keepalive refused"); }
      return response.json();
    }).then(function (data) {
      idleEnds = Date.now() + data.idle * 1000;
      absoluteEnds = Date.now() + data.absolute * 1000;
      shut();
    }).catch(function () {
      window.location.assign(body.dataset.signinUrl);
    });
  });
  close.addEventListener("click", function () { dismissedAbsolute = !absoluteNote.hidden; shut(); });
  dialog.addEventListener("cancel", function () { dismissedAbsolute = !absoluteNote.hidden; returnFocus = document.activeElement; });
  window.setInterval(tick, 1000);
}());
