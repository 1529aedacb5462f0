// The sign-in's clock, shared by every open tab, and what was typed, kept when a sign-in ends (WCAG 2.2.1, 2.2.5).
//
// One clock: each page learns the seconds left from the server when it loads, and tells the other tabs (a
// localStorage "storage" event), which keep the latest. Before it warns, and before it leaves the page because the
// time is up, a tab asks the server (GET /session/status, which is not counted as activity), so activity in another
// tab or window always counts and a tab never leaves unsaved input while the sign-in is still valid.
//
// "Stay signed in" renews the session in the background, so whatever is typed stays where it is. Escape counts as
// "stay" for the idle warning. The 12-hour limit cannot be extended: that warning can only be closed (once) or used
// to sign out now.
//
// Typed text: when the sign-in really ended, or a form was sent but did not arrive (the sign-in page or an error
// page answered it), what was typed is kept in this tab's sessionStorage (never on the server; never passwords,
// hidden fields such as the CSRF token, or files) and offered back on that page after signing in again, to the same
// person only. Signing out clears it, in every tab.
(function () {
  "use strict";
  var PREFIX = "peerworks.";
  var DRAFT = PREFIX + "draft:";
  var SENT = PREFIX + "sent";
  var CLOCK = PREFIX + "clock";
  var SIGNED_OUT = PREFIX + "signed-out";
  var SKIPPED_TYPES = ["password", "hidden", "file", "submit", "button", "reset", "image"];

  var body = document.body;
  var loadedAt = Date.now();
  var person = body.dataset.person || "";
  var signedIn = Boolean(body.dataset.idleSeconds);
  var tabStore = storage("sessionStorage");
  var sharedStore = storage("localStorage");

  function storage(name) {
    try {
      var store = window[name];
      store.setItem(PREFIX + "test", "1");
      store.removeItem(PREFIX + "test");
      return store;
    } catch (error) {
      return null;
    }
  }

  function read(store, key) {
    if (!store) { return null; }
    try { return JSON.parse(store.getItem(key) || "null"); } catch (error) { return null; }
  }

  function write(store, key, value) {
    if (!store) { return; }
    try { store.setItem(key, JSON.stringify(value)); } catch (error) { /* full or refused: nothing kept */ }
  }

  function here() { return window.location.pathname + window.location.search; }

  // --- What was typed ---------------------------------------------------------------------------------------------

  function postForms() {
    return Array.prototype.filter.call(document.forms, function (form) {
      return (form.getAttribute("method") || "").toLowerCase() === "post" && form.id !== "sign-out-form" &&
        !form.hasAttribute("data-no-draft");
    });
  }

  function changedFields(form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (element) {
      var type = (element.type || "").toLowerCase();
      if (!element.name || element.disabled || element.name === "csrf_token" || SKIPPED_TYPES.indexOf(type) >= 0) {
        return;
      }
      if (type === "checkbox" || type === "radio") {
        if (element.checked !== element.defaultChecked) {
          fields.push({ name: element.name, value: element.value, checked: element.checked });
        }
      } else if (element.tagName === "SELECT") {
        var options = Array.prototype.slice.call(element.options);
        if (options.some(function (option) { return option.selected !== option.defaultSelected; })) {
          fields.push({
            name: element.name,
            selected: options.filter(function (o) { return o.selected; }).map(function (o) { return o.value; })
          });
        }
      } else if (element.value !== element.defaultValue) {
        fields.push({ name: element.name, value: element.value });
      }
    });
    return fields;
  }

  function typedOnThisPage() {
    var forms = [];
    postForms().forEach(function (form, index) {
      var fields = changedFields(form);
      if (fields.length) { forms.push({ index: index, action: form.action, fields: fields }); }
    });
    return forms;
  }

  function signedOutSince(moment) { return (read(sharedStore, SIGNED_OUT) || 0) >= moment; }

  function keepDraft(page, owner, forms) {
    if (!forms.length || !owner || signedOutSince(loadedAt)) { return; }
    write(tabStore, DRAFT + page, { person: owner, savedAt: Date.now(), forms: forms });
  }

  function clearDrafts() {
    if (!tabStore) { return; }
    for (var i = tabStore.length - 1; i >= 0; i -= 1) {
      var key = tabStore.key(i);
      if (key && (key.indexOf(DRAFT) === 0 || key === SENT)) { tabStore.removeItem(key); }
    }
  }

  function restore(draft) {
    var forms = postForms();
    draft.forms.forEach(function (saved) {
      var form = forms.filter(function (f) { return f.action === saved.action; })[0] || forms[saved.index];
      if (!form) { return; }
      saved.fields.forEach(function (field) {
        Array.prototype.forEach.call(form.elements, function (element) {
          if (element.name !== field.name) { return; }
          var type = (element.type || "").toLowerCase();
          if (SKIPPED_TYPES.indexOf(type) >= 0) { return; }
          if (type === "checkbox" || type === "radio") {
            if (element.value === field.value) { element.checked = field.checked; } else { return; }
          } else if (element.tagName === "SELECT") {
            Array.prototype.forEach.call(element.options, function (option) {
              option.selected = (field.selected || []).indexOf(option.value) >= 0;
            });
          } else {
            element.value = field.value;
          }
          element.dispatchEvent(new Event("input", { bubbles: true }));
          element.dispatchEvent(new Event("change", { bubbles: true }));
        });
      });
    });
  }

  function offer(key, draft) {
    var main = document.getElementById("main-content");
    var offerTemplate = document.getElementById("draft-offer");
    var restoredTemplate = document.getElementById("draft-restored");
    if (!main || !offerTemplate || !restoredTemplate || !postForms().length) { return; }
    var box = offerTemplate.content.firstElementChild.cloneNode(true);
    main.insertBefore(box, main.firstChild);
    box.querySelector("[data-restore]").addEventListener("click", function () {
      restore(draft);
      tabStore.removeItem(key);
      var done = restoredTemplate.content.firstElementChild.cloneNode(true);
      box.parentNode.replaceChild(done, box);
      var first = postForms()[0].querySelector("input:not([type=hidden]), textarea, select");
      if (first) { first.focus(); }
    });
    box.querySelector("[data-discard]").addEventListener("click", function () {
      tabStore.removeItem(key);
      box.parentNode.removeChild(box);
      main.focus();
    });
    box.focus();
  }

  // A form sent from the page before this one: did it arrive? The sign-in page and the error pages say it did not.
  function settleWhatWasSent() {
    var sent = read(tabStore, SENT);
    if (!sent) { return; }
    tabStore.removeItem(SENT);
    if (document.querySelector("[data-keep-draft]") && !signedOutSince(sent.savedAt)) {
      write(tabStore, DRAFT + sent.page, { person: sent.person, savedAt: sent.savedAt, forms: sent.forms });
    }
  }

  function offerDraftForThisPage() {
    if (!signedIn || !tabStore) { return; }
    for (var i = tabStore.length - 1; i >= 0; i -= 1) {
      var key = tabStore.key(i);
      if (key && key.indexOf(DRAFT) === 0) {
        var draft = read(tabStore, key);
        // Someone else signed in at this computer, or the person signed out since: never shown.
        if (!draft || draft.person !== person || signedOutSince(draft.savedAt)) { tabStore.removeItem(key); }
      }
    }
    var found = read(tabStore, DRAFT + here());
    if (found) { offer(DRAFT + here(), found); }
  }

  function signingOut() {
    clearDrafts();
    write(sharedStore, SIGNED_OUT, Date.now());
    if (sharedStore) { sharedStore.removeItem(CLOCK); }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "sign-out-form") { signingOut(); return; }
    if (postForms().indexOf(form) < 0) { return; }
    var fields = changedFields(form);
    if (!fields.length || !person) { if (tabStore) { tabStore.removeItem(SENT); } return; }
    write(tabStore, SENT, {
      person: person,
      page: here(),
      savedAt: Date.now(),
      forms: [{ index: postForms().indexOf(form), action: form.action, fields: fields }]
    });
  }, true);

  settleWhatWasSent();
  offerDraftForThisPage();

  // --- The shared clock and the warning ---------------------------------------------------------------------------

  var dialog = document.getElementById("session-warning");
  if (!signedIn || !dialog || typeof dialog.showModal !== "function") { return; }
  var countdown = dialog.querySelector("[data-countdown]");
  var idleNote = dialog.querySelector("[data-idle-note]");
  var absoluteNote = dialog.querySelector("[data-absolute-note]");
  var stay = dialog.querySelector("[data-stay]");
  var close = dialog.querySelector("[data-close]");
  var signOut = dialog.querySelector("[data-sign-out]");
  var signOutForm = document.getElementById("sign-out-form");
  var csrf = (signOutForm || document).querySelector("input[name=csrf_token]");
  var warnBefore = parseInt(body.dataset.warningSeconds || "90", 10);
  var idleEnds = loadedAt + parseInt(body.dataset.idleSeconds, 10) * 1000;
  var absoluteEnds = loadedAt + parseInt(body.dataset.absoluteSeconds, 10) * 1000;
  var confirmedEnds = null;  // an end the server confirmed is within the warning time: only then does it open
  var asking = false;
  var nextAsk = 0;
  var leaving = false;
  var absoluteMode = false;
  var dismissedAbsolute = false;
  var renewing = false;
  var closedByScript = false;
  var returnFocus = null;

  function ends() { return Math.min(idleEnds, absoluteEnds); }
  function secondsTo(when) { return Math.max(0, Math.round((when - Date.now()) / 1000)); }

  function publish() {
    write(sharedStore, CLOCK, { person: person, idleEnds: idleEnds, absoluteEnds: absoluteEnds });
  }

  // Another tab's clock: the later end wins (any page opened or renewed anywhere moved it).
  function adopt(clock) {
    if (!clock || clock.person !== person) { return; }
    if (clock.idleEnds > idleEnds) { idleEnds = clock.idleEnds; }
    if (clock.absoluteEnds > absoluteEnds) { absoluteEnds = clock.absoluteEnds; }
    settle();
  }

  // The server's answer is the truth, later or earlier.
  function setFromServer(data) {
    var at = Date.now();
    idleEnds = at + data.idle * 1000;
    absoluteEnds = at + data.absolute * 1000;
    confirmedEnds = secondsTo(ends()) <= warnBefore ? ends() : null;
    publish();
    settle();
  }

  function settle() {
    if (dialog.open && !renewing && secondsTo(ends()) > warnBefore) { shut(); }
  }

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

  // The sign-in really ended: keep what was typed, then ask the server for this page again. It says why the
  // sign-in ended and offers to sign in and come back here, where the text is offered back.
  function sessionOver() {
    if (leaving) { return; }
    leaving = true;
    keepDraft(here(), person, typedOnThisPage());
    window.location.assign(window.location.href.split("#")[0]);
  }

  // The storage event comes before the other tab's sign-out request reaches the server: a page asked for at once
  // would still be answered as signed in. So wait (a few seconds at most) until the server says the sign-in ended.
  // The server's word on this tab's sign-in: { signedIn, person, ... }, or a rejection when it does not answer.
  function sessionStatus() {
    return fetch(body.dataset.statusUrl, {
      credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("no answer"); }
      return response.json();
    });
  }

  function followSignOut(triesLeft) {
    if (leaving) { return; }
    function again() { window.setTimeout(function () { followSignOut(triesLeft - 1); }, 300); }
    sessionStatus().then(function (data) {
      if (data.signedIn && String(data.person) === person && triesLeft > 0) { again(); return; }
      leaving = true;
      window.location.assign(window.location.href.split("#")[0]);
    }).catch(function () {
      if (triesLeft > 0) { again(); }
    });
  }

  function askServer() {
    if (asking || leaving || Date.now() < nextAsk) { return; }
    asking = true;
    nextAsk = Date.now() + 2000;  // at most every two seconds, however the clocks disagree
    sessionStatus().then(function (data) {
      asking = false;
      if (!data.signedIn || String(data.person) !== person) { sessionOver(); return; }
      setFromServer(data);
      tick();
    }).catch(function () {
      asking = false;  // no network: nothing is known, so nothing is done; asked again in a few seconds
    });
  }

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
      renewing = false;
      setFromServer(data);
      shut();
    }).catch(function () {
      renewing = false;
      nextAsk = 0;
      askServer();  // signed out, or this page is older than the sign-in: the server says which
    });
  }

  function dismiss() {
    dismissedAbsolute = true;
    shut();
  }

  function tick() {
    if (leaving) { return; }
    var end = ends();
    var absolute = absoluteEnds <= idleEnds;
    var left = secondsTo(end);
    // The server rounds the seconds down: ask a moment past the end, so the server agrees the sign-in is over.
    if (Date.now() >= end + 1500) {
      askServer();
      return;
    }
    if (left > warnBefore || renewing || (absolute && dismissedAbsolute)) { return; }
    if (confirmedEnds !== end) {
      askServer();  // another tab or window may have kept the sign-in going
      return;
    }
    open(absolute, left);
  }

  stay.addEventListener("click", renew);
  close.addEventListener("click", dismiss);
  signOut.addEventListener("click", function () {
    signingOut();
    if (signOutForm) { signOutForm.submit(); } else { sessionOver(); }
  });
  // Escape closes the dialog natively; then it counts as "close" for the 12-hour warning, "stay" otherwise.
  dialog.addEventListener("close", function () {
    if (closedByScript) {
      closedByScript = false;
      return;
    }
    if (absoluteMode) { dismiss(); } else { renew(); }
  });
  window.addEventListener("storage", function (event) {
    if (event.key === CLOCK && event.newValue) {
      try { adopt(JSON.parse(event.newValue)); } catch (error) { /* not ours */ }
    } else if (event.key === SIGNED_OUT && event.newValue) {
      // Signed out in another tab: what was typed here goes too, and this page follows to the sign-in page.
      clearDrafts();
      followSignOut(10);
    }
  });
  adopt(read(sharedStore, CLOCK));
  publish();
  window.setInterval(tick, 1000);
}());
