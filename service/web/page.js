/* The public "what's on" page: filters in the address bar, the list drawn by widget.js. */
(function () {
  "use strict";
  /* The page's words, written in from service/web/words.json at build time (embed.py). */
  var T = {{words:page}};
  var params = new URLSearchParams(location.search);
  /* ?lang=, else the first of the browser's languages that the page speaks, else Dutch. */
  function browserLang() {
    var prefs = navigator.languages || [navigator.language || ""];
    for (var k = 0; k < prefs.length; k++) {
      var p = String(prefs[k] || "").toLowerCase().split("-")[0];
      if (T[p]) return p;
    }
    return "nl";
  }
  var lang = T[params.get("lang")] ? params.get("lang") : browserLang();
  var t = T[lang];
  var $ = function (id) { return document.getElementById(id); };
  var list = $("activities");
  var form = $("filters");
  var near = params.get("near");

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

  form.municipality.value = params.get("municipality") || "";
  form["function"].value = params.get("function") || "";
  form.kind.value = params.get("kind") || "";
  form.free.checked = params.get("free") === "true";
  form.q.value = params.get("q") || "";
  form.open_now.checked = params.get("open_now") === "true";
  form.postal_code.value = params.get("postal_code") || "";

  function set(name, value) {
    if (value) list.setAttribute("data-stek-" + name, value);
    else list.removeAttribute("data-stek-" + name);
  }

  /* Filters -> widget attributes, address bar and calendar link; then draw. */
  /* A site's page (the QR code of its monthly calendar leads here). */
  var site = params.get("site");

  function apply(push) {
    set("lang", lang);
    set("site", site || "");
    set("municipality", form.municipality.value.trim());
    set("function", form["function"].value);
    set("kind", form.kind.value);
    set("free", form.free.checked ? "true" : "");
    set("q", form.q.value.trim());
    set("open-now", form.open_now.checked ? "true" : "");
    set("postal-code", near ? "" : form.postal_code.value.trim());
    set("near", near || "");
    set("radius", near ? "10" : "");
    var q = new URLSearchParams();
    if (lang !== "nl") q.set("lang", lang);
    ["q", "municipality", "function", "kind", "postal_code"].forEach(function (k) {
      var v = form[k].value.trim();
      if (v && !(k === "postal_code" && near)) q.set(k, v);
    });
    if (form.free.checked) q.set("free", "true");
    if (form.open_now.checked) q.set("open_now", "true");
    if (near) q.set("near", near);
    if (site) q.set("site", site);
    if (push) history.replaceState(null, "", "?" + q.toString());
    var ics = window.StekWidget.feedUrl(list, true).replace(/^https?:/, "webcal:");
    /* A subscription keeps following the feed: no fixed window. */
    $("calendar").href = ics.replace(/([?&])from=[^&]*&?/, "$1").replace(/([?&])to=[^&]*&?/, "$1").replace(/[?&]$/, "");
    return window.StekWidget.render(list);
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    apply(true);
  });
  form.addEventListener("change", function (e) {
    if (e.target.name === "postal_code") near = null;
    apply(true);
  });

  $("near-me").addEventListener("click", function () {
    var status = $("near-status");
    if (!navigator.geolocation) {
      status.textContent = t.no_location;
      form.postal_code.focus();
      return;
    }
    status.textContent = t.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      near = pos.coords.latitude.toFixed(3) + "," + pos.coords.longitude.toFixed(3);
      status.textContent = t.located;
      apply(true);
    }, function () {
      status.textContent = t.no_location;
      form.postal_code.focus();
    }, { timeout: 10000, maximumAge: 600000 });
  });

  $("print").addEventListener("click", function () {
    list.setAttribute("data-stek-days", "7");
    $("print-title").textContent = t.week;
    apply(false).then(function () {
      window.print();
      list.setAttribute("data-stek-days", "14");
    });
  });

  /* Municipalities that have sites, for the suggestions. */
  fetch("/v1/sites?limit=500&active=true", { credentials: "omit" })
    .then(function (r) { return r.ok ? r.json() : { items: [] }; })
    .then(function (page) {
      var seen = {}, dl = $("municipalities");
      page.items.forEach(function (s) {
        var m = s.address && s.address.municipality;
        if (m && !seen[m]) {
          seen[m] = true;
          var o = document.createElement("option");
          o.value = m;
          dl.appendChild(o);
        }
      });
    })
    .catch(function () {});

  apply(false);
})();
