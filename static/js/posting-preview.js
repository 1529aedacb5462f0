// The job posting editor's live preview (templates/hiring/posting_edit.html).
//
// Without JavaScript the editor is the form alone, and the preview panel stays hidden. Here the panel is shown and,
// 600 ms after the last keystroke or choice, the unsaved form (its CSRF token included) is sent to the preview
// address, which answers the posting as that form would save it, rendered by the same template as the saved
// posting. Nothing is saved. Only the newest answer is shown (an older request still under way is cancelled). A
// polite live region says "Preview updated", not the whole text; a problem is shown above the last good preview.
(function () {
  "use strict";
  var DELAY = 600;
  var editor = document.querySelector("[data-posting-preview]");
  if (!editor || !window.fetch || !window.FormData || !window.DOMParser) { return; }
  var form = editor.querySelector("form");
  var panel = editor.querySelector("[data-preview-panel]");
  var body = panel && panel.querySelector("[data-preview-body]");
  var status = panel && panel.querySelector("[data-preview-status]");
  var problemBox = panel && panel.querySelector("[data-preview-problem-box]");
  var problemText = panel && panel.querySelector("[data-preview-problem-text]");
  if (!form || !body || !status || !problemBox || !problemText) { return; }
  var url = editor.getAttribute("data-posting-preview");
  var timer = null;
  var controller = null;
  var sent = 0;

  panel.hidden = false;
  var skip = document.querySelector("[data-preview-skip]");
  if (skip) { skip.hidden = false; }

  function announce(words) {
    // Emptied first, so the same words said twice in a row are read again.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = words; }, 50);
  }

  function showProblem(node, words) {
    problemText.replaceChildren();
    if (node) {
      problemText.appendChild(document.importNode(node, true));
    } else {
      var line = document.createElement("p");
      line.textContent = words;
      problemText.appendChild(line);
    }
    problemBox.hidden = false;
    announce("Preview not updated: " + problemText.textContent.replace(/\s+/g, " ").trim());
  }

  function showPreview(fragment) {
    var top = body.scrollTop;
    var nodes = Array.prototype.map.call(fragment.childNodes, function (node) {
      return document.importNode(node, true);
    });
    body.replaceChildren.apply(body, nodes);
    body.scrollTop = top; // the reader stays where they were in the text
    problemBox.hidden = true;
    announce("Preview updated");
  }

  function plainProblem(response) {
    if (response.redirected || response.status === 401) {
      return "You are signed out, so the preview stopped. What you typed is still in the form: sign in again in " +
        "another tab, then save.";
    }
    if (response.status === 400) {
      return "This page is out of date or you signed in again since it opened, so the preview stopped. Save your " +
        "changes: the form comes back with everything you typed.";
    }
    if (response.status === 403 || response.status === 404) {
      return "You can no longer change this posting, so the preview stopped.";
    }
    return "The preview could not be updated just now. What you typed is still in the form; keep going or save.";
  }

  function answer(response, text) {
    var page = new DOMParser().parseFromString(text, "text/html");
    var good = page.querySelector("[data-preview-ok]");
    var problem = page.querySelector("[data-preview-problem]");
    if (response.ok && !response.redirected && good) {
      showPreview(good);
    } else if (!response.redirected && problem) {
      showProblem(problem);
    } else {
      showProblem(null, plainProblem(response));
    }
  }

  function update() {
    timer = null;
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var mine = ++sent;
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        if (mine === sent) { answer(response, text); }
      });
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      if (mine === sent) {
        showProblem(null, "The preview could not be updated: the connection failed. What you typed is still in " +
          "the form; keep going or save.");
      }
    });
  }

  function soon() {
    if (timer) { window.clearTimeout(timer); }
    timer = window.setTimeout(update, DELAY);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  form.addEventListener("submit", function () {
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (controller) { controller.abort(); }
  });
  // A form shown again after a refused save holds what was typed, not what is saved: preview that at once.
  if (editor.hasAttribute("data-preview-stale")) { update(); }
})();
