/* The public "what's on" page: filters in the address bar, the list drawn by widget.js. */
(function () {
  "use strict";
  var T = {
    nl: {
      title: "Wat is er te doen?", intro: "Activiteiten in ontmoetingsplaatsen bij jou in de buurt. Iedereen is welkom.",
      municipality: "Gemeente", function: "Wat zoek je?", f_all: "Alles", f_meeting: "Samenkomen",
      f_learning: "Iets leren", f_referral: "Hulp en doorverwijzing", f_advocacy: "Samen opkomen voor rechten",
      kind: "Soort", k_all: "Activiteiten en openingsuren", k_activity: "Alleen activiteiten", k_hours: "Alleen openingsuren",
      free_only: "Alleen gratis activiteiten", near_me: "In mijn buurt", postal_code: "of je postcode",
      show: "Toon activiteiten", calendar: "Zet deze activiteiten in je agenda", print: "Afdrukken voor deze week",
      footer: "Gegevens van de organisaties die deze plaatsen samen runnen. Deze pagina bewaart niets over jou.",
      locating: "Even zoeken waar je bent…", located: "Activiteiten binnen 10 km van waar je bent.",
      no_location: "Je locatie is niet beschikbaar. Vul je postcode in.", week: "Deze week"
    },
    fr: {
      title: "Qu'est-ce qui se passe ?", intro: "Des activités dans les lieux de rencontre près de chez vous. Tout le monde est bienvenu.",
      municipality: "Commune", function: "Que cherchez-vous ?", f_all: "Tout", f_meeting: "Se rencontrer",
      f_learning: "Apprendre", f_referral: "Aide et orientation", f_advocacy: "Défendre ses droits ensemble",
      kind: "Type", k_all: "Activités et heures d'ouverture", k_activity: "Seulement les activités", k_hours: "Seulement les heures d'ouverture",
      free_only: "Seulement les activités gratuites", near_me: "Près de chez moi", postal_code: "ou votre code postal",
      show: "Afficher les activités", calendar: "Ajouter ces activités à mon agenda", print: "Imprimer pour cette semaine",
      footer: "Données des organisations qui animent ces lieux. Cette page ne garde rien sur vous.",
      locating: "Recherche de votre position…", located: "Activités à moins de 10 km de votre position.",
      no_location: "Votre position n'est pas disponible. Indiquez votre code postal.", week: "Cette semaine"
    },
    en: {
      title: "What's on?", intro: "Activities in meeting places near you. Everyone is welcome.",
      municipality: "Municipality", function: "What are you looking for?", f_all: "Everything", f_meeting: "Meeting people",
      f_learning: "Learning something", f_referral: "Help and referral", f_advocacy: "Standing up for rights together",
      kind: "Kind", k_all: "Activities and opening hours", k_activity: "Activities only", k_hours: "Opening hours only",
      free_only: "Free activities only", near_me: "Near me", postal_code: "or your postal code",
      show: "Show activities", calendar: "Add these activities to my calendar", print: "Print for this week",
      footer: "Data from the organisations that run these places. This page keeps nothing about you.",
      locating: "Finding where you are…", located: "Activities within 10 km of where you are.",
      no_location: "Your location is not available. Please enter your postal code.", week: "This week"
    },
    de: {
      title: "Was ist los?", intro: "Aktivitäten in Begegnungsorten in Ihrer Nähe. Alle sind willkommen.",
      municipality: "Gemeinde", function: "Was suchen Sie?", f_all: "Alles", f_meeting: "Menschen treffen",
      f_learning: "Etwas lernen", f_referral: "Hilfe und Vermittlung", f_advocacy: "Gemeinsam für Rechte eintreten",
      kind: "Art", k_all: "Aktivitäten und Öffnungszeiten", k_activity: "Nur Aktivitäten", k_hours: "Nur Öffnungszeiten",
      free_only: "Nur kostenlose Aktivitäten", near_me: "In meiner Nähe", postal_code: "oder Ihre Postleitzahl",
      show: "Aktivitäten zeigen", calendar: "Diese Aktivitäten in meinen Kalender", print: "Für diese Woche drucken",
      footer: "Daten der Organisationen, die diese Orte betreiben. Diese Seite speichert nichts über Sie.",
      locating: "Ihr Standort wird gesucht…", located: "Aktivitäten im Umkreis von 10 km um Ihren Standort.",
      no_location: "Ihr Standort ist nicht verfügbar. Bitte geben Sie Ihre Postleitzahl ein.", week: "Diese Woche"
    }
  };
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
    set("postal-code", near ? "" : form.postal_code.value.trim());
    set("near", near || "");
    set("radius", near ? "10" : "");
    var q = new URLSearchParams();
    if (lang !== "nl") q.set("lang", lang);
    ["municipality", "function", "kind", "postal_code"].forEach(function (k) {
      var v = form[k].value.trim();
      if (v && !(k === "postal_code" && near)) q.set(k, v);
    });
    if (form.free.checked) q.set("free", "true");
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
