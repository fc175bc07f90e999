/*
 * The advocacy view (/stats): signals as bar charts for the policy table. It reads only the
 * public statistics API (GET /v1/stats/signals, /v1/stats/answers), so nothing on it is more
 * precise than what anyone could ask for; hidden cells are shown as hidden, and the page says
 * how the numbers are protected. The charts are SVG drawn here, each with its table.
 */
(function () {
  "use strict";
  /* The advocacy view's words, written in from service/web/words.json at build time (embed.py). */
  var T = {{words:stats}};
  var STATUSES = ["new", "in_review", "raised", "answered", "closed"];
  var params = new URLSearchParams(location.search);
  var lang = T[params.get("lang")] ? params.get("lang") : "nl";
  var t = T[lang];
  var $ = function (id) { return document.getElementById(id); };
  var form = $("filters"), charts = $("charts"), state = $("state");
  var themes = {};
  var svgNS = "http://www.w3.org/2000/svg";

  document.documentElement.lang = lang;
  document.title = t.title;
  var labelled = document.querySelectorAll("[data-t]");
  for (var i = 0; i < labelled.length; i++) labelled[i].textContent = t[labelled[i].getAttribute("data-t")];
  var langLinks = document.querySelectorAll(".langs a");
  for (i = 0; i < langLinks.length; i++) {
    var other = new URLSearchParams(location.search);
    other.set("lang", langLinks[i].getAttribute("hreflang"));
    langLinks[i].href = "?" + other.toString();
    if (langLinks[i].getAttribute("hreflang") === lang) langLinks[i].setAttribute("aria-current", "true");
  }

  function fill(s, vars) {
    return s.replace(/\{(\w+)\}/g, function (_, k) { return vars[k]; });
  }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function svg(tag, attrs) {
    var n = document.createElementNS(svgNS, tag);
    for (var k in attrs) n.setAttribute(k, attrs[k]);
    return n;
  }

  /* Periods: the last 12 closed months, then whole years. */
  var now = new Date(), year = now.getFullYear();
  var periods = [["", t.last12]];
  for (var y = year; y >= year - 3; y--) periods.push([String(y), String(y)]);
  periods.forEach(function (p) {
    var o = el("option", null, p[1]);
    o.value = p[0];
    $("year").appendChild(o);
  });
  form.municipality.value = params.get("municipality") || "";
  $("year").value = params.get("year") || "";

  function window_() {
    var y = $("year").value;
    if (y) return { from: y + "-01-01", to: y + "-12-31" };
    var d = new Date(now.getFullYear(), now.getMonth() - 12, 1);
    return { from: d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-01", to: null };
  }
  function query(extra) {
    var q = new URLSearchParams(), w = window_();
    var m = form.municipality.value.trim();
    if (m) q.set("municipality", m);
    q.set("from", w.from);
    if (w.to) q.set("to", w.to);
    for (var k in extra) q.set(k, extra[k]);
    return q.toString();
  }
  function get(path, extra) {
    return fetch(path + "?" + query(extra), { credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      });
  }
  function themeLabel(code) {
    var th = themes[code];
    if (!th) return code;
    return th["label_" + lang] || th.label_en;
  }

  /*
   * A bar chart: one bar per row, height in proportion to its count; a hidden row is a low
   * hatched bar marked "fewer than k". With its table (for screen readers and for print).
   */
  function barChart(id, title, rows, label, k, csvQuery) {
    var section = el("section", "chart");
    section.id = id;
    var h = el("h2", null, title);
    h.id = id + "-title";
    section.appendChild(h);
    if (!rows.length) {
      section.appendChild(el("p", "none", t.none));
      return section;
    }
    var max = 0;
    rows.forEach(function (r) { if (r.count !== null && r.count > max) max = r.count; });
    if (max === 0) max = k;
    /* Labels are slanted under their bars: the chart starts far enough right for them. */
    var W = 720, H = 220, pad = 28, left = 120, step = (W - left - 10) / rows.length;
    var bw = Math.min(60, step - 8);
    var fig = el("figure");
    var s = svg("svg", { viewBox: "0 0 " + W + " " + (H + 120), role: "img", "aria-labelledby": id + "-title", "class": "bars" });
    var defs = svg("defs", {});
    var pat = svg("pattern", { id: id + "-hatch", width: 8, height: 8, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    pat.appendChild(svg("line", { x1: 0, y1: 0, x2: 0, y2: 8, stroke: "#555", "stroke-width": 4 }));
    defs.appendChild(pat);
    s.appendChild(defs);
    s.appendChild(svg("line", { x1: left - 6, y1: H + pad, x2: W - 10, y2: H + pad, stroke: "#1a1a1a" }));
    rows.forEach(function (r, i) {
      var x = left + i * step;
      var hidden = r.count === null;
      var bh = hidden ? 10 : Math.round((r.count / max) * H);
      var bar = svg("rect", { x: x, y: H + pad - bh, width: bw, height: bh,
        fill: hidden ? "url(#" + id + "-hatch)" : "#2f5f8a", stroke: "#1a1a1a",
        "class": hidden ? "bar suppressed" : "bar", "data-label": label(r), "data-count": hidden ? "" : r.count });
      s.appendChild(bar);
      var v = svg("text", { x: x + bw / 2, y: H + pad - bh - 6, "text-anchor": "middle", "class": "value" });
      v.textContent = hidden ? "<" + k : String(r.count);
      s.appendChild(v);
      var lab = svg("text", { x: x + bw / 2, y: H + pad + 14, "text-anchor": "end", "class": "label",
        transform: "rotate(-40 " + (x + bw / 2) + " " + (H + pad + 14) + ")" });
      lab.textContent = label(r);
      s.appendChild(lab);
    });
    fig.appendChild(s);
    var table = el("table", "data");
    var cap = el("caption", null, title);
    table.appendChild(cap);
    var head = el("tr");
    head.appendChild(el("th", null, id === "by-month" ? t.month : t.theme));
    head.appendChild(el("th", null, t.count));
    head.firstChild.setAttribute("scope", "col");
    head.lastChild.setAttribute("scope", "col");
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tb = el("tbody");
    rows.forEach(function (r) {
      var tr = el("tr");
      var th = el("th", null, label(r));
      th.setAttribute("scope", "row");
      tr.appendChild(th);
      tr.appendChild(el("td", r.count === null ? "suppressed" : null,
        r.count === null ? fill(t.hidden, { k: k }) : String(r.count)));
      tb.appendChild(tr);
    });
    table.appendChild(tb);
    fig.appendChild(table);
    section.appendChild(fig);
    var a = el("a", "csv", t.csv);
    a.href = "/v1/stats/signals?" + csvQuery;
    a.setAttribute("data-accept", "text/csv");
    a.addEventListener("click", function (e) {
      /* The API answers CSV for Accept: text/csv: fetch it and save it. */
      e.preventDefault();
      fetch(a.href, { credentials: "omit", headers: { Accept: "text/csv" } })
        .then(function (r) { return r.blob(); })
        .then(function (b) {
          var u = URL.createObjectURL(b), d = el("a");
          d.href = u;
          d.download = id + ".csv";
          document.body.appendChild(d);
          d.click();
          d.remove();
          URL.revokeObjectURL(u);
        });
    });
    section.appendChild(a);
    return section;
  }

  function lifecycleTable(rows, k) {
    var section = el("section", "chart");
    section.id = "lifecycle";
    section.appendChild(el("h2", null, t.lifecycle));
    if (!rows.length) {
      section.appendChild(el("p", "none", t.none));
      return section;
    }
    var byTheme = {};
    rows.forEach(function (r) {
      (byTheme[r.theme] = byTheme[r.theme] || {})[r.status] = r.count;
    });
    var table = el("table", "data visible");
    var cap = el("caption", null, t.lifecycle);
    table.appendChild(cap);
    var head = el("tr");
    head.appendChild(el("th", null, t.theme));
    STATUSES.forEach(function (s) { head.appendChild(el("th", null, t["s_" + s])); });
    for (var c = 0; c < head.children.length; c++) head.children[c].setAttribute("scope", "col");
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var tb = el("tbody");
    Object.keys(byTheme).sort().forEach(function (code) {
      var tr = el("tr");
      var th = el("th", null, themeLabel(code));
      th.setAttribute("scope", "row");
      tr.appendChild(th);
      STATUSES.forEach(function (s) {
        var v = byTheme[code][s];
        tr.appendChild(el("td", v === null ? "suppressed" : null,
          v === undefined ? "0" : v === null ? "<" + k : String(v)));
      });
      tb.appendChild(tr);
    });
    table.appendChild(tb);
    section.appendChild(table);
    return section;
  }

  function listSection(id, title, items, empty) {
    var section = el("section", "chart");
    section.id = id;
    section.appendChild(el("h2", null, title));
    if (!items.length) {
      section.appendChild(el("p", "none", empty));
      return section;
    }
    var ul = el("ul", "plain");
    items.forEach(function (x) { ul.appendChild(x); });
    section.appendChild(ul);
    return section;
  }

  function draw(push) {
    if (push) {
      var q = new URLSearchParams();
      if (lang !== "nl") q.set("lang", lang);
      if (form.municipality.value.trim()) q.set("municipality", form.municipality.value.trim());
      if ($("year").value) q.set("year", $("year").value);
      history.replaceState(null, "", "?" + q.toString());
    }
    state.textContent = t.loading;
    charts.setAttribute("aria-busy", "true");
    return Promise.all([
      get("/v1/stats/signals", { group_by: "theme", kind: "barrier" }),
      get("/v1/stats/signals", { group_by: "theme", kind: "referral" }),
      get("/v1/stats/signals", { group_by: "month,kind" }),
      get("/v1/stats/signals", { group_by: "theme,status", kind: "barrier" }),
      get("/v1/stats/signals", { group_by: "raised_with", kind: "barrier" }),
      get("/v1/stats/answers", { limit: "50" })
    ]).then(function (res) {
      var k = res[0].k, b = res[0].noise_bound;
      var sel = $("year");
      $("print-title").textContent = (form.municipality.value.trim() || "") + " \u2013 " +
        sel.options[sel.selectedIndex].text + " (" + res[0].from + " \u2013 " + res[0].to + ")";
      $("protection").textContent = fill(t.protection, { k: k, b: b });
      charts.textContent = "";
      var themeRow = function (r) { return themeLabel(r.theme); };
      charts.appendChild(barChart("barriers", t.barriers, res[0].rows, themeRow, k, query({ group_by: "theme", kind: "barrier" })));
      charts.appendChild(barChart("referrals", t.referrals, res[1].rows, themeRow, k, query({ group_by: "theme", kind: "referral" })));
      charts.appendChild(barChart("by-month", t.months, res[2].rows, function (r) {
        return r.month + " " + t[r.kind];
      }, k, query({ group_by: "month,kind" })));
      charts.appendChild(lifecycleTable(res[3].rows, k));
      var raised = res[4].rows.filter(function (r) { return r.raised_with !== null; }).map(function (r) {
        return el("li", r.count === null ? "suppressed" : null,
          r.raised_with + ": " + (r.count === null ? fill(t.hidden, { k: k }) : r.count));
      });
      charts.appendChild(listSection("raised", t.raised, raised, t.none));
      var answers = res[5].items.map(function (a) {
        var li = el("li");
        li.appendChild(el("strong", null, themeLabel(a.theme) + " (" + a.answered_in + "): "));
        li.appendChild(document.createTextNode(a.answer));
        return li;
      });
      charts.appendChild(listSection("answers", t.answers, answers, t.noanswers));
      state.textContent = "";
      charts.setAttribute("aria-busy", "false");
    }).catch(function () {
      state.textContent = t.down;
      charts.setAttribute("aria-busy", "false");
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    draw(true);
  });
  form.addEventListener("change", function () { draw(true); });
  $("print").addEventListener("click", function () { window.print(); });

  fetch("/v1/themes?limit=500", { credentials: "omit" }).then(function (r) { return r.json(); })
    .then(function (j) { j.items.forEach(function (th) { themes[th.code] = th; }); })
    .catch(function () {})
    .then(function () { window.StekStats = { ready: draw(false) }; });
  fetch("/v1/sites?limit=500", { credentials: "omit" }).then(function (r) { return r.json(); })
    .then(function (j) {
      var seen = {};
      j.items.forEach(function (s) {
        var m = s.address && s.address.municipality;
        if (m && !seen[m]) {
          seen[m] = true;
          var o = el("option");
          o.value = m;
          $("municipalities").appendChild(o);
        }
      });
    }).catch(function () {});
})();
