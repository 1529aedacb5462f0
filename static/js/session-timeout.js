// Warns before the idle and the longest-sign-in time-outs (WCAG 2.2.1). "Stay signed in" renews the session in
// the background, so whatever is typed into the page stays where it is. Escape counts as "stay" for the idle
// warning: pressing a key shows the person is there. The 12-hour limit cannot be extended: that warning can only
// be closed (once) or used to sign out now.
(function () {
  "use strict";
  var body = document.body;
  var dialog = document.getElementById("session-warning");
  if (!body.dataset.idleSeconds || !dialog || typeof dialog.showModal !== "function") { return; }
  var countdown = dialog.querySelector("[data-countdown]");
  var idleNote = dialog.querySelector("[data-idle-note]");
  var absoluteNote = dialog.querySelector("[data-absolute-note]");
  var stay = dialog.querySelector("[data-stay]");
  var close = dialog.querySelector("[data-close]");
  var signOut = dialog.querySelector("[data-sign-out]");
  var signOutForm = document.getElementById("sign-out-form");
  var csrf = (signOutForm || document).querySelector("input[name=csrf_token]");
  var warnBefore = parseInt(body.dataset.warningSeconds || "90", 10);
  var now = Date.now();
  var idleEnds = now + parseInt(body.dataset.idleSeconds, 10) * 1000;
  var absoluteEnds = now + parseInt(body.dataset.absoluteSeconds, 10) * 1000;
  var absoluteMode = false;
  var dismissedAbsolute = false;
  var renewing = false;
  var closedByScript = false;
  var returnFocus = null;

  function secondsTo(when) { return Math.max(0, Math.round((when - Date.now()) / 1000)); }

  function describe(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    var text = rest + (rest === 1 ? " second" : " seconds");
    if (minutes > 0) { text = minutes + (minutes === 1 ? " minute" : " minutes") + " and " + text; }
    return "Time left: " + text + ".";
  }

  function open(absolute, left) {
    countdown.textContent = describe(left);
    if (dialog.open) { return; }
    absoluteMode = absolute;
    idleNote.hidden = absolute;
    absoluteNote.hidden = !absolute;
    stay.hidden = absolute;
    close.hidden = !absolute;
    returnFocus = document.activeElement;
    dialog.showModal();
    (absolute ? close : stay).focus();
  }

  function shut() {
    if (dialog.open) {
      closedByScript = true;  // the close event comes later, as a task of its own
      dialog.close();
    }
    if (returnFocus && returnFocus !== document.body && typeof returnFocus.focus === "function") {
      returnFocus.focus();
    }
    returnFocus = null;
  }

  // Ask the server for this page again: it says why the sign-in ended and offers to sign in and come back here.
  function goToSignIn() { window.location.assign(window.location.href.split("#")[0]); }

  function renew() {
    if (renewing) { return; }
    renewing = true;
    fetch(body.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf ? csrf.value : "", "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("keep-alive refused"); }
      return response.json();
    }).then(function (data) {
      var at = Date.now();
      idleEnds = at + data.idle * 1000;
      absoluteEnds = at + data.absolute * 1000;
      renewing = false;
      shut();
    }).catch(function () {
      goToSignIn();
    });
  }

  function dismiss() {
    dismissedAbsolute = true;
    shut();
  }

  function tick() {
    var absolute = absoluteEnds <= idleEnds;
    var ends = absolute ? absoluteEnds : idleEnds;
    var left = secondsTo(ends);
    // The server rounds the seconds down: wait a moment past the end, so the server agrees the sign-in is over.
    if (Date.now() >= ends + 1500) {
      goToSignIn();
      return;
    }
    if (left <= warnBefore && !renewing && !(absolute && dismissedAbsolute)) {
      open(absolute, left);
    }
  }

  stay.addEventListener("click", renew);
  close.addEventListener("click", dismiss);
  signOut.addEventListener("click", function () {
    if (signOutForm) { signOutForm.submit(); } else { goToSignIn(); }
  });
  // Escape closes the dialog natively; then it counts as "close" for the 12-hour warning, "stay" otherwise.
  dialog.addEventListener("close", function () {
    if (closedByScript) {
      closedByScript = false;
      return;
    }
    if (absoluteMode) { dismiss(); } else { renew(); }
  });
  window.setInterval(tick, 1000);
}());
