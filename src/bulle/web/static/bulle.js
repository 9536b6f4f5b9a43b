// Bulle's few lines of script. Every page works without them: they add an upload progress bar,
// follow a background task without reloading, and print a document.
"use strict";

function followTask(box) {
  var id = box.getAttribute("data-task");
  var state = box.getAttribute("data-state");
  if (state !== "queued" && state !== "running") return;
  var phase = document.getElementById("task-phase");
  var timer = setInterval(function () {
    fetch("/api/v1/tasks/" + encodeURIComponent(id), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (task) {
        if (phase && task.progress && task.progress.phase) phase.textContent = task.progress.phase;
        if (task.state !== "queued" && task.state !== "running") {
          clearInterval(timer);
          window.location.reload();
        }
      })
      .catch(function () { /* the page's own refresh takes over */ });
  }, 700);
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
  var task = document.getElementById("task");
  if (task) followTask(task);
  var upload = document.querySelector("form[data-upload]");
  if (upload) uploadWithProgress(upload);
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
});
