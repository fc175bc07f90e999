/*
 * stek "what's on" widget. Paste into any page:
 *
 *   <div data-stek-municipality="Kalmthout"></div>
 *   <script src="https://stek.example.org/widget.js" async></script>
 *
 * Attributes (all optional): data-stek-municipality, data-stek-site (a site id),
 * data-stek-function (meeting, learning, referral, advocacy), data-stek-free ("true"),
 * data-stek-kind ("activity" or "opening_hours": only those; default both, the activities
 * first and a site's opening hours after them, so a place open twice a week does not fill
 * the first cards),
 * data-stek-days (how many days ahead, default 14), data-stek-lang (nl, fr, en, de; default:
 * the host page's lang, else nl: labels and the activities' texts, where they are translated),
 * data-stek-postal-code, data-stek-near ("lat,lon") with data-stek-radius (km),
 * data-stek-confirmed (each activity says when it was last confirmed),
 * data-stek-api (the API's origin; default: where this script came from).
 *
 * Plain JavaScript, no framework; no cookies, no storage, no requests except to the API.
 * The list lives in a shadow root, so the host page's CSS neither breaks it nor is broken
 * by it. Whatever happens, the host page keeps working: every error ends in a calm message.
 */
(function () {
  "use strict";
  if (window.StekWidget) return;

  var script = document.currentScript;
  var defaultApi = "";
  try {
    defaultApi = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  } catch (e) {
    defaultApi = location.origin;
  }

  /* The widget's words, written in from service/web/words.json at build time (embed.py). */
  var TEXT = {{words:widget}};
  var LOCALE = { nl: "nl-BE", fr: "fr-BE", en: "en-GB", de: "de-BE" };

  var CSS =
    ":host{all:initial;display:block}" +
    /* Set here, not inherited: rules of the host page can still reach the host element. */
    ".stek{display:block;max-width:48rem;padding:.25em .5em;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;" +
    "font-size:18px;line-height:1.5;color:#1a1a1a;background:#fff;text-align:left}" +
    ".msg{margin:.5em 0;padding:.75em 1em;border-left:6px solid #2f5f8a;background:#eef4fa}" +
    "h2{font-size:1.2em;margin:1.2em 0 .4em;padding-bottom:.2em;border-bottom:3px solid #2f5f8a;color:#1a1a1a}" +
    "h2.hours{font-size:1.35em;border-bottom-width:5px}" +
    "h2:first-letter{text-transform:uppercase}" +
    "ul{list-style:none;margin:0;padding:0}" +
    "li{margin:0 0 .8em;padding:.6em .8em;border:1px solid #8a8a8a;border-radius:6px}" +
    "h3{font-size:1.1em;margin:0;color:#1a1a1a}h3 a{color:inherit}" +
    "p{margin:.15em 0}" +
    ".time{font-weight:700;font-size:1.05em}" +
    ".badge{display:inline-block;margin-left:.5em;padding:0 .45em;border-radius:4px;font-size:.85em;font-weight:700;vertical-align:middle}" +
    ".free{background:#1d6b32;color:#fff}" +
    ".cancelled-badge{background:#a4161a;color:#fff}" +
    ".moved-badge{background:#7a4b00;color:#fff}" +
    "li.cancelled{border:2px solid #a4161a;background:#fdf1f1}" +
    "li.cancelled h3,li.cancelled .time{text-decoration:line-through}" +
    "li.moved{border:2px solid #7a4b00;background:#fdf6ea}" +
    ".note{font-weight:700}" +
    ".reg{font-style:italic}" +
    ".contact a{color:#17456b;text-decoration:underline;margin-right:1em;display:inline-block;padding:.2em 0}" +
    "@media print{:host{font-size:12pt}li{break-inside:avoid;border-color:#000}.msg{border-color:#000;background:none}}";

  function attr(el, name) {
    var v = el.getAttribute("data-stek-" + name);
    return v === null || v === "" ? null : v;
  }

  /* The widget's language: data-stek-lang, else the host page's lang (fr-BE is fr), else nl. */
  function widgetLang(el) {
    var l = attr(el, "lang");
    if (!l) {
      var withLang = el.closest ? el.closest("[lang]") : null;
      l = withLang ? withLang.getAttribute("lang") : document.documentElement.getAttribute("lang");
    }
    l = (l || "").toLowerCase().split(/[-_]/)[0];
    return TEXT[l] ? l : "nl";
  }

  function isoDate(d) {
    var m = d.getMonth() + 1, day = d.getDate();
    return d.getFullYear() + "-" + (m < 10 ? "0" : "") + m + "-" + (day < 10 ? "0" : "") + day;
  }

  /* The feed URL for an element's attributes (also used by the public page). */
  function feedUrl(el, ics) {
    var api = attr(el, "api") || defaultApi;
    var days = parseInt(attr(el, "days") || "14", 10);
    if (!(days >= 1 && days <= 366)) days = 14;
    var from = new Date(), to = new Date();
    to.setDate(to.getDate() + days - 1);
    var q = [["from", isoDate(from)], ["to", isoDate(to)]];
    var map = [["municipality", "municipality"], ["site", "site"], ["function", "function"], ["kind", "kind"],
      ["postal-code", "postal_code"], ["near", "near"], ["radius", "radius_km"], ["q", "q"],
      ["day", "day"], ["from-time", "from_time"], ["to-time", "to_time"]];
    for (var i = 0; i < map.length; i++) {
      var v = attr(el, map[i][0]);
      if (v) q.push([map[i][1], v]);
    }
    if (attr(el, "free") === "true") q.push(["free", "true"]);
    if (attr(el, "open-now") === "true") q.push(["open_now", "true"]);
    if (!ics) q.push(["limit", "500"]);
    q.push(["lang", widgetLang(el)]);
    return api + "/v1/feed" + (ics ? ".ics" : "") + "?" +
      q.map(function (p) { return encodeURIComponent(p[0]) + "=" + encodeURIComponent(p[1]); }).join("&");
  }

  function node(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  /* "2026-11-26T13:00:00+01:00" -> the site's local date and time, as written. */
  function local(s) {
    return { date: s.slice(0, 10), time: s.slice(11, 16) };
  }

  function dayHeading(date, lang) {
    var d = new Date(date + "T12:00:00Z");
    try {
      return new Intl.DateTimeFormat(LOCALE[lang], {
        weekday: "long", day: "numeric", month: "long", timeZone: "UTC"
      }).format(d);
    } catch (e) {
      return date;
    }
  }

  function place(site) {
    var a = site.address || {};
    return site.name + ", " + [a.street, [a.postal_code, a.municipality].filter(Boolean).join(" ")]
      .filter(Boolean).join(", ");
  }

  /* The occurrence's own page (schema.org JSON-LD for search engines). */
  function pageUrl(api, it) {
    return api + "/activity/" + encodeURIComponent(it.occurrence_id);
  }

  /*
   * schema.org Events for the occurrences shown, as on their pages (a moved occurrence is shown
   * at its new time; its page also says when it was). Opening hours are no events: left out.
   */
  var VOCAB = "https://schema.org"; /* the JSON-LD's vocabulary: a name, never fetched */

  function jsonLd(api, items) {
    var events = [];
    for (var i = 0; i < items.length; i++) {
      var it = items[i], a = it.site.address || {}, url = pageUrl(api, it);
      if (it.kind === "opening_hours") continue;
      var place = { "@type": "Place", name: it.site.name, address: { "@type": "PostalAddress",
        streetAddress: a.street, postalCode: a.postal_code, addressLocality: a.municipality,
        addressCountry: a.country } };
      if (it.site.location) place.geo = { "@type": "GeoCoordinates",
        latitude: it.site.location.lat, longitude: it.site.location.lon };
      var e = { "@context": VOCAB, "@type": "Event", "@id": url, url: url,
        name: it.title, startDate: it.start, endDate: it.end,
        eventStatus: VOCAB + "/" + (it.status === "cancelled" ? "EventCancelled" : "EventScheduled"),
        eventAttendanceMode: VOCAB + "/OfflineEventAttendanceMode", location: place,
        organizer: { "@type": "Organization", name: it.partner.name } };
      /* free null: the offer did not say, so neither does the page. */
      if (typeof it.free === "boolean") e.isAccessibleForFree = it.free;
      if (typeof it.description === "string") e.description = it.description;
      if (it.free === true) e.offers = { "@type": "Offer", price: 0, priceCurrency: "EUR",
        availability: VOCAB + "/InStock", url: url };
      events.push(e);
    }
    return events;
  }

  /* Puts the JSON-LD next to the widget, in the page's own DOM where crawlers read it. */
  function putJsonLd(el, api, items) {
    var old = el.querySelector("script[data-stek-jsonld]");
    var events = jsonLd(api, items);
    if (!events.length) {
      if (old) el.removeChild(old);
      return;
    }
    var s = old || document.createElement("script");
    s.type = "application/ld+json";
    s.setAttribute("data-stek-jsonld", "");
    /* No "</script>" can end the element early. */
    s.textContent = JSON.stringify(events).replace(/</g, "\\u003c");
    if (!old) el.appendChild(s);
  }

  /* Activities first, then opening hours under their own heading (each part by day). */
  function renderItems(box, items, t, lang, api) {
    var acts = items.filter(function (it) { return it.kind !== "opening_hours"; });
    var hours = items.filter(function (it) { return it.kind === "opening_hours"; });
    if (acts.length || !hours.length) renderDays(box, acts, t, lang, api);
    if (hours.length) {
      if (acts.length) box.appendChild(node("h2", "hours", t.hours));
      renderDays(box, hours, t, lang, api);
    }
  }

  function renderDays(box, items, t, lang, api) {
    if (!items.length) {
      box.appendChild(node("p", "msg", t.none));
      return;
    }
    var list = null, day = null;
    /* data-stek-confirmed: each activity says the day it was last confirmed (the public page). */
    var confirmed = box.closest && box.closest("[data-stek-confirmed]");
    for (var i = 0; i < items.length; i++) {
      var it = items[i], start = local(it.start), end = local(it.end);
      if (start.date !== day) {
        day = start.date;
        box.appendChild(node("h2", "day", dayHeading(day, lang)));
        list = box.appendChild(node("ul"));
      }
      var li = list.appendChild(node("li", "item " + it.status));
      /* An activity not translated into the reader's language keeps its own: say which. */
      if (it.language && it.language !== lang) li.setAttribute("lang", it.language);
      var time = li.appendChild(node("p", "time"));
      var tm = time.appendChild(node("time", null, it.all_day ? t.all_day : start.time + "–" + end.time));
      tm.setAttribute("datetime", it.start);
      var h = li.appendChild(node("h3", "title"));
      var link = h.appendChild(node("a", null, it.title));
      link.href = pageUrl(api, it);
      if (it.free === true) h.appendChild(node("span", "badge free", t.free));
      if (it.status === "cancelled") h.appendChild(node("span", "badge cancelled-badge", t.cancelled));
      if (it.status === "moved") h.appendChild(node("span", "badge moved-badge", t.moved));
      if (it.note) li.appendChild(node("p", "note", it.note));
      li.appendChild(node("p", "place", t.where + ": " + place(it.site)));
      li.appendChild(node("p", "partner", t.by + ": " + it.partner.name));
      if (it.price_note && it.free !== true) li.appendChild(node("p", "price", it.price_note));
      if (it.audience) li.appendChild(node("p", "audience", it.audience));
      if (it.registration) li.appendChild(node("p", "reg", it.registration === "required" ? t.register : t.walkin));
      if (confirmed && it.confirmed_on) li.appendChild(node("p", "confirmed", t.confirmed + ": " + it.confirmed_on));
      var c = it.contact || {};
      if (c.phone || c.email) {
        var cp = li.appendChild(node("p", "contact", t.contact + ": "));
        if (c.phone) {
          /* A tappable number: tel: takes digits and a leading + only. */
          var tel = cp.appendChild(node("a", null, c.phone));
          tel.href = "tel:" + c.phone.replace(/[^0-9+]/g, "");
          tel.setAttribute("aria-label", t.phone + " " + c.phone);
        }
        if (c.email) {
          var mail = cp.appendChild(node("a", null, c.email));
          mail.href = "mailto:" + c.email;
          mail.setAttribute("aria-label", t.mail + " " + c.email);
        }
      }
    }
  }

  var last = typeof WeakMap === "function" ? new WeakMap() : null;

  function shadow(el) {
    if (el.shadowRoot) return el.shadowRoot;
    if (el.attachShadow) {
      var root = el.attachShadow({ mode: "open" });
      var style = document.createElement("style");
      style.textContent = CSS;
      root.appendChild(style);
      return root;
    }
    return el; /* very old browsers: unscoped, but still readable */
  }

  function show(el, build) {
    var root = shadow(el);
    var lang = widgetLang(el);
    var box = node("section", "stek");
    box.setAttribute("lang", lang);
    box.setAttribute("aria-label", TEXT[lang].caption);
    box.setAttribute("aria-live", "polite");
    build(box, TEXT[lang], lang);
    var old = root.querySelector("section.stek");
    if (old) root.replaceChild(box, old); else root.appendChild(box);
  }

  /* Renders (or re-renders) one element; resolves when done, never rejects. */
  function render(el) {
    try {
      var url = feedUrl(el, false);
      if (!el.shadowRoot || !el.shadowRoot.querySelector("section.stek")) {
        show(el, function (box, t) { box.appendChild(node("p", "msg", t.loading)); });
      }
      el.setAttribute("data-stek-state", "loading");
      var ctrl = typeof AbortController === "function" ? new AbortController() : null;
      var timer = setTimeout(function () { if (ctrl) ctrl.abort(); }, 10000);
      return fetch(url, { credentials: "omit", signal: ctrl ? ctrl.signal : undefined,
        headers: { Accept: "application/json" } })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (page) {
          clearTimeout(timer);
          if (last) last.set(el, page.items);
          var api = attr(el, "api") || defaultApi;
          show(el, function (box, t, lang) { renderItems(box, page.items, t, lang, api); });
          putJsonLd(el, api, page.items);
          el.setAttribute("data-stek-state", "ready");
        })
        .catch(function () {
          clearTimeout(timer);
          var items = last ? last.get(el) : null;
          show(el, function (box, t, lang) {
            box.appendChild(node("p", "msg", t.down + (items ? " " + t.stale : "")));
            if (items) renderItems(box, items, t, lang, attr(el, "api") || defaultApi);
          });
          el.setAttribute("data-stek-state", "unavailable");
        });
    } catch (e) {
      return Promise.resolve();
    }
  }

  function renderAll() {
    var els = document.querySelectorAll("[data-stek-municipality],[data-stek-site],[data-stek-widget]");
    for (var i = 0; i < els.length; i++) if (!els[i].hasAttribute("data-stek-manual")) render(els[i]);
  }

  window.StekWidget = { render: render, feedUrl: feedUrl, version: 1 };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", renderAll);
  else renderAll();
})();
