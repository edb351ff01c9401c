// live.js: follows a running run over Server-Sent Events. It appends new
// log lines (as text, never HTML) and updates node statuses. The page is
// complete without it.
(function () {
  "use strict";
  var logs = document.getElementById("logs");
  if (!logs || !("EventSource" in window)) return;
  var run = logs.getAttribute("data-run");
  var from = logs.getAttribute("data-from") || "0";
  var es = new EventSource("/runs/" + encodeURIComponent(run) + "/events?from=" + encodeURIComponent(from));

  function setStatus(el, status) {
    if (!el) return;
    el.textContent = status;
    el.className = "badge " + status;
  }

  function section(node, attempt) {
    var all = logs.querySelectorAll("section.log");
    var last = all[all.length - 1];
    if (last && last.getAttribute("data-node") === node && last.getAttribute("data-attempt") === String(attempt)) {
      return last.querySelector("pre");
    }
    var none = document.getElementById("no-logs");
    if (none) none.remove();
    var s = document.createElement("section");
    s.className = "log";
    s.setAttribute("data-node", node);
    s.setAttribute("data-attempt", String(attempt));
    var h = document.createElement("h3");
    var c = document.createElement("code");
    c.textContent = node;
    var a = document.createElement("span");
    a.className = "attempt";
    a.textContent = "attempt " + attempt;
    h.appendChild(c);
    h.appendChild(document.createTextNode(" "));
    h.appendChild(a);
    var pre = document.createElement("pre");
    s.appendChild(h);
    s.appendChild(pre);
    logs.appendChild(s);
    return pre;
  }

  es.addEventListener("line", function (e) {
    var l = JSON.parse(e.data);
    var pre = section(l.node_id, l.attempt);
    var span = document.createElement("span");
    span.className = "line " + (l.stream || "");
    span.textContent = l.text;
    pre.appendChild(span);
    pre.appendChild(document.createTextNode("\n"));
  });

  es.addEventListener("node", function (e) {
    var n = JSON.parse(e.data);
    var row = document.getElementById("node-" + n.node_id);
    if (row) {
      setStatus(row.querySelector("[data-status]"), n.status);
      var at = row.querySelector("[data-attempts]");
      if (at) at.textContent = String(n.attempts);
    }
    var g = document.getElementById("svg-" + n.node_id);
    if (g) {
      var kind = g.getAttribute("class").split(" ")[1];
      g.setAttribute("class", "node " + kind + " " + n.status);
    }
  });

  es.addEventListener("run", function (e) {
    setStatus(document.getElementById("run-status"), JSON.parse(e.data).status);
  });

  es.addEventListener("end", function () {
    es.close();
    var note = document.getElementById("live-note");
    if (note) note.textContent = "The run has finished; reload for its final timing.";
  });
})();
