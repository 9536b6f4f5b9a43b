// Bulle's few lines of script. Every page works without them: they add an upload progress bar,
// follow a background task or a job live (server-sent events), and print a document.
"use strict";

var ENDED = ["done", "failed", "interrupted", "succeeded", "cancelled"];

function bindPrint(root) {
  root.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
}

// Swap the page's main content for the server's current one: the end of a task or a job is
// shown as its page shows it, with no reload.
function refreshMain() {
  return fetch(window.location.href, {credentials: "same-origin", headers: {Accept: "text/html"}})
    .then(function (r) { return r.text(); })
    .then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var fresh = doc.querySelector("main");
      var main = document.querySelector("main");
      if (fresh && main) {
        main.replaceWith(fresh);
        bindPrint(fresh);
        follow(fresh.querySelector("[data-events]"));
      }
    });
}

// Follow the state of what the box shows (data-events: its event stream, data-kind: the event's
// name); the stream itself says when it changes, nothing is polled by the page.
function follow(box) {
  if (!box || !window.EventSource) return;
  if (ENDED.indexOf(box.getAttribute("data-state")) >= 0) return;
  var labels = {};
  try { labels = JSON.parse(box.getAttribute("data-labels") || "{}"); } catch (e) { labels = {}; }
  var stateEl = document.getElementById("live-state");
  var phaseEl = document.getElementById("live-phase");
  var source = new EventSource(box.getAttribute("data-events"));
  source.addEventListener(box.getAttribute("data-kind"), function (message) {
    var shown = JSON.parse(message.data);
    box.setAttribute("data-state", shown.state);
    if (stateEl) stateEl.textContent = labels[shown.state] || shown.state;
    if (phaseEl && shown.progress && shown.progress.phase) {
      phaseEl.textContent = labels[shown.progress.phase] || shown.progress.phase;
    }
    if (ENDED.indexOf(shown.state) >= 0) {
      source.close();
      refreshMain();
    }
  });
}

function uploadWithProgress(form) {
  form.addEventListener("submit", function (event) {
    if (!window.FormData || !window.XMLHttpRequest) return;  // the plain form post works too
    event.preventDefault();
    var box = form.querySelector(".upload-progress");
    var bar = document.getElementById("upload-bar");
    var pct = document.getElementById("upload-pct");
    box.hidden = false;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var p = Math.round(100 * e.loaded / e.total);
        bar.value = p;
        pct.textContent = p + " %";
      }
    });
    xhr.addEventListener("load", function () {
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 202 && body.page) {
        window.location.assign(body.page);
      } else {
        pct.textContent = (body.error && body.error.message) || ("HTTP " + xhr.status);
        pct.setAttribute("role", "alert");
      }
    });
    xhr.send(new FormData(form));
  });
}

document.addEventListener("DOMContentLoaded", function () {
  follow(document.querySelector("[data-events]"));
  var upload = document.querySelector("form[data-upload]");
  if (upload) uploadWithProgress(upload);
  bindPrint(document);
});
