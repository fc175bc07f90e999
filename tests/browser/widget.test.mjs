// The widget and the public page in Debian's Chromium, driven by playwright-core.
// Run by tests/http/test_browser.py, which starts the daemon (with demo data) and a host
// page on another origin, and passes them in the environment:
//   STEK_API       the daemon, e.g. http://127.0.0.1:40123
//   STEK_HOST      the host page on another origin, e.g. http://localhost:40124/host.html
//   STEK_API_PID   the daemon's process id (the last check stops it)
//   STEK_SHOTS     folder for screenshots
// Prints one line per check, "ok NAME" or "FAIL NAME: why", and a last line "N passed, N failed".
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const API = process.env.STEK_API;
const HOST = process.env.STEK_HOST;
const SHOTS = process.env.STEK_SHOTS;
mkdirSync(SHOTS, { recursive: true });

let passed = 0, failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${String(e && e.stack || e).split("\n").slice(0, 3).join(" | ")}`);
  }
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// Text of the widget's shadow root (Playwright's locators pierce open shadow roots).
async function widgetText(page, sel) {
  return page.locator(`${sel} >> css=section.stek`).innerText();
}

async function axe(page, what) {
  await page.evaluate(axeSource); /* evaluated by the driver: the page's CSP allows no inline script */
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert(bad.length === 0, `${what}: ` + bad.map((v) => `${v.id} (${v.impact}): ` +
    v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join(", ")).join("; "));
  return result.violations.length;
}

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
});
const errors = [];
const context = await browser.newContext({ locale: "nl-BE", timezoneId: "Europe/Brussels" });
// Anything the pages ask of other hosts than the API and the host page is refused and noted.
const allowed = [new URL(API).origin, new URL(HOST).origin];
const foreign = [];
await context.route("**/*", (route) => {
  const origin = new URL(route.request().url()).origin;
  if (allowed.includes(origin)) return route.continue();
  foreign.push(route.request().url());
  return route.abort();
});

try {
  const host = await context.newPage();
  host.on("pageerror", (e) => errors.push("host: " + e.message));
  await check("host page on another origin shows Kalmthout's Thursday activities", async () => {
    await host.goto(HOST);
    await host.waitForSelector("#kalmthout[data-stek-state=ready]", { timeout: 15000 });
    const text = await widgetText(host, "#kalmthout");
    assert(/donderdag/i.test(text), "no Thursday heading in: " + text.slice(0, 300));
    for (const title of ["Open Leersalon", "Koffie & Formulieren Kalmthout", "Kantine Bezemheide"]) {
      assert(text.includes(title), `missing ${title}`);
    }
    assert(!text.includes("'t Kattegat"), "an activity of another municipality is shown");
    assert(/\d\d:\d\d–\d\d:\d\d/.test(text), "no times shown");
    assert(/Gratis/.test(text), "no free badge");
    assert(await host.locator("#host-content").isVisible(), "the host page's own content is gone");
  });

  await check("the host page's CSS does not reach into the widget", async () => {
    // host.html hides every li and h2 and paints text white; the widget must not care.
    const item = host.locator("#kalmthout >> css=li.item").first();
    assert(await item.isVisible(), "widget items are hidden by the host's CSS");
    const color = await item.evaluate((el) => getComputedStyle(el.querySelector("h3")).color);
    assert(color !== "rgb(255, 255, 255)", "the host's colour leaked in: " + color);
    const hostLi = await host.locator("#host-list li").first().isVisible();
    assert(!hostLi, "the widget's CSS changed the host's own list");
  });

  await check("a cancelled occurrence is marked with its note", async () => {
    const cancelled = host.locator("#kalmthout >> css=li.cancelled").first();
    const text = await cancelled.innerText();
    assert(text.includes("Afgelast"), "no 'Afgelast' badge: " + text);
    assert(text.includes("Vrijwilligersdag: geen leersalon"), "no note: " + text);
  });

  await check("an item says whom to call, with a tappable number, and whether to register", async () => {
    // Ontmoetingsmoment says it is free and walk-in; Koffie & Formulieren says neither.
    const said = await host.locator("#kalmthout >> css=li.scheduled", { hasText: "Ontmoetingsmoment" }).first().innerText();
    assert(/Geen afspraak nodig/.test(said) && /Gratis/.test(said), "not told what was said: " + said);
    const unsaid = await host.locator("#kalmthout >> css=li.item", { hasText: "Koffie & Formulieren Kalmthout" }).first().innerText();
    assert(!/Geen afspraak nodig|Inschrijven nodig|Gratis/.test(unsaid), "told what nobody said: " + unsaid);
    const item = host.locator("#kalmthout >> css=li.scheduled", { hasText: "Kantine Bezemheide" }).first();
    const text = await item.innerText();
    const tel = item.locator("css=.contact a[href^='tel:']");
    assert((await tel.count()) === 1, "no tel: link: " + text);
    assert((await tel.getAttribute("href")) === "tel:030000000", await tel.getAttribute("href"));
    const mail = item.locator("css=.contact a[href^='mailto:']");
    assert((await mail.getAttribute("href")) === "mailto:bezemheide@example.org", "no mailto link");
  });

  await check("activities come first, opening hours after them under their own heading", async () => {
    const titles = await host.evaluate(() => Array.from(
      document.querySelector("#kalmthout").shadowRoot.querySelectorAll("li.item h3, h2.hours"),
      (n) => (n.tagName === "H2" ? "#hours" : n.textContent)));
    const heading = titles.indexOf("#hours");
    assert(heading > 0, "no opening hours heading after activities: " + titles.join(" | ").slice(0, 300));
    const grocery = titles.map((t, i) => [t, i]).filter(([t]) => /Kruideniertje/.test(t)).map(([, i]) => i);
    assert(grocery.length > 0 && grocery.every((i) => i > heading), "the grocery is among the first cards");
    assert(titles.slice(0, heading).every((t) => !/Kruideniertje/.test(t)), "opening hours before the heading");
    // data-stek-kind: only that kind.
    const only = await host.evaluate(async () => {
      const el = document.createElement("div");
      el.id = "hours-only";
      el.setAttribute("data-stek-municipality", "Kalmthout");
      el.setAttribute("data-stek-kind", "opening_hours");
      el.setAttribute("data-stek-manual", "");
      document.querySelector("main").appendChild(el);
      await window.StekWidget.render(el);
      const t = Array.from(el.shadowRoot.querySelectorAll("li.item h3"), (n) => n.textContent);
      el.remove();
      return t;
    });
    assert(only.length > 0 && only.every((t) => /Kruideniertje/.test(t)), "kind=opening_hours shows: " + only.join(" | "));
    // data-stek-q: the feed's one search, in the widget's request
    const found = await host.evaluate(async () => {
      const el = document.createElement("div");
      el.setAttribute("data-stek-municipality", "Kalmthout");
      el.setAttribute("data-stek-q", "kruidenier");
      el.setAttribute("data-stek-manual", "");
      document.querySelector("main").appendChild(el);
      await window.StekWidget.render(el);
      const t = Array.from(el.shadowRoot.querySelectorAll("li.item h3"), (n) => n.textContent);
      const url = window.StekWidget.feedUrl(el, false);
      el.remove();
      return { t, url };
    });
    assert(found.url.includes("q=kruidenier"), found.url);
    assert(found.t.length > 0 && found.t.every((t) => /Kruideniertje/.test(t)), "q=kruidenier shows: " + found.t.join(" | "));
  });

  await check("the widget adds schema.org Events next to it and links each item to its page", async () => {
    const ld = await host.evaluate(() => {
      const s = document.querySelector("#kalmthout > script[data-stek-jsonld]");
      return s ? s.textContent : null;
    });
    assert(ld, "no JSON-LD script in the host page's DOM");
    const events = JSON.parse(ld);
    assert(Array.isArray(events) && events.length > 0, "no events: " + ld.slice(0, 200));
    for (const e of events) {
      assert(e["@type"] === "Event" && e["@context"] === "https://schema.org", "not an Event");
      assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/.test(e.startDate), "startDate " + e.startDate);
      assert(e.url.startsWith(API + "/activity/"), "url " + e.url);
      assert(e.location && e.location.address && e.location.address["@type"] === "PostalAddress", "address");
    }
    assert(!events.some((e) => /Kruideniertje/.test(e.name)), "opening hours (the social grocery) published as an event");
    const href = await host.locator("#kalmthout >> css=li.item h3 a").first().getAttribute("href");
    assert(href && href.startsWith(API + "/activity/"), "item link " + href);
    const r = await fetch(href);
    const html = await r.text();
    assert(r.status === 200 && html.includes("application/ld+json"), "the item's page: " + r.status);
  });

  await check("on a French part of the host page the widget speaks French, activities too", async () => {
    await host.evaluate(() => {
      const part = document.createElement("section");
      part.setAttribute("lang", "fr-BE");
      const div = document.createElement("div");
      div.id = "kalmthout-fr";
      div.setAttribute("data-stek-municipality", "Kalmthout");
      div.setAttribute("data-stek-days", "14");
      div.setAttribute("data-stek-manual", "");
      part.appendChild(div);
      document.querySelector("main").appendChild(part);
      window.StekWidget.render(div);
    });
    await host.waitForSelector("#kalmthout-fr[data-stek-state=ready]", { timeout: 15000 });
    const text = await widgetText(host, "#kalmthout-fr");
    assert(/jeudi/i.test(text) && text.includes("Sans rendez-vous"), "French labels: " + text.slice(0, 300));
    for (const title of ["Salon d'apprentissage ouvert", "Café & formulaires Kalmthout"]) {
      assert(text.includes(title), `missing ${title} in: ` + text.slice(0, 300));
    }
    assert(!text.includes("Open Leersalon"), "a Dutch title where French exists");
    assert(await host.locator("#kalmthout-fr >> css=section.stek").getAttribute("lang") === "fr",
      "the widget's lang");
    // The Dutch widget on the same page is unchanged.
    assert((await widgetText(host, "#kalmthout")).includes("Open Leersalon"), "the Dutch widget changed");
  });

  await check("the host page, the widget and the API use no cookies and no other hosts", async () => {
    const cookies = await context.cookies();
    assert(cookies.length === 0, "cookies: " + JSON.stringify(cookies));
    assert(foreign.length === 0, "requests to other hosts: " + foreign.join(", "));
  });

  await check("axe-core finds no serious or critical problem in the embedded widget", async () => {
    await axe(host, "host page");
  });

  const page = await context.newPage();
  page.on("pageerror", (e) => errors.push("page: " + e.message));
  await check("the public page shows the list for its filters", async () => {
    await page.goto(API + "/?municipality=Kalmthout");
    await page.waitForSelector("#activities[data-stek-state=ready]", { timeout: 15000 });
    const text = await widgetText(page, "#activities");
    assert(text.includes("Twinkeltje") && text.includes("Open Leersalon"), text.slice(0, 300));
    assert(await page.inputValue("#municipality") === "Kalmthout", "filter not restored from the URL");
  });

  await check("a filter change updates the list and the address", async () => {
    await page.selectOption("#function", "learning");
    await page.waitForFunction(() => {
      const el = document.querySelector("#activities");
      return el.getAttribute("data-stek-function") === "learning" &&
        el.getAttribute("data-stek-state") === "ready";
    }, null, { timeout: 15000 });
    const text = await widgetText(page, "#activities");
    assert(text.includes("Open Leersalon"), "learning activity missing");
    assert(!text.includes("Twinkeltje"), "a meeting-only activity is still listed");
    assert(new URL(page.url()).searchParams.get("function") === "learning", "address not updated");
  });

  await check("the page's search field searches the feed in its own words, and clears", async () => {
    await page.fill("#q", "leersalons");
    await page.press("#q", "Enter");
    await page.waitForSelector("#activities[data-stek-q=leersalons][data-stek-state=ready]", { timeout: 15000 });
    const text = await widgetText(page, "#activities");
    assert(text.includes("Open Leersalon") && !text.includes("Twinkeltje"), text.slice(0, 300));
    assert(new URL(page.url()).searchParams.get("q") === "leersalons", "address not updated");
    await page.fill("#q", "");
    await page.press("#q", "Enter");
    await page.waitForFunction(() => !document.querySelector("#activities").hasAttribute("data-stek-q") &&
      document.querySelector("#activities").getAttribute("data-stek-state") === "ready", null, { timeout: 15000 });
  });

  await check("the calendar link is webcal:// to the .ics feed with the same filters", async () => {
    await page.check("#free");
    await page.waitForSelector("#activities[data-stek-free=true][data-stek-state=ready]");
    const href = await page.getAttribute("#calendar", "href");
    const url = new URL(href.replace(/^webcal:/, "http:"));
    assert(href.startsWith("webcal://"), href);
    assert(url.pathname === "/v1/feed.ics", href);
    const q = url.searchParams;
    assert(q.get("municipality") === "Kalmthout" && q.get("function") === "learning" &&
      q.get("free") === "true", href);
    assert(!q.has("from") && !q.has("to"), "a subscription must not be pinned to dates: " + href);
    const ics = await page.request.get(url.toString());
    assert(ics.ok() && (await ics.text()).includes("BEGIN:VCALENDAR"), "the link does not answer");
  });

  await check("every filter is reachable with Tab and usable without a mouse", async () => {
    await page.goto(API + "/?municipality=Kalmthout");
    await page.waitForSelector("#activities[data-stek-state=ready]");
    const order = [];
    for (let i = 0; i < 18; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => document.activeElement.id || document.activeElement.tagName));
    }
    for (const id of ["q", "municipality", "function", "free", "open_now", "near-me", "postal_code", "calendar", "print"]) {
      assert(order.includes(id), `${id} not reached by Tab: ${order.join(" ")}`);
    }
    await page.focus("#free");
    await page.keyboard.press("Space");
    await page.waitForSelector("#activities[data-stek-free=true][data-stek-state=ready]");
  });

  await check("near me uses the browser's location, and a postal code works without it", async () => {
    await context.grantPermissions(["geolocation"], { origin: new URL(API).origin });
    await context.setGeolocation({ latitude: 51.3869, longitude: 4.4744 });
    await page.goto(API + "/");
    await page.waitForSelector("#activities[data-stek-state=ready]");
    await page.click("#near-me");
    await page.waitForSelector("#activities[data-stek-near][data-stek-state=ready]");
    let text = await widgetText(page, "#activities");
    assert(text.includes("Kantine Bezemheide"), "nothing near Kalmthout: " + text.slice(0, 200));
    await page.goto(API + "/?postal_code=2990");
    await page.waitForSelector("#activities[data-stek-state=ready]");
    text = await widgetText(page, "#activities");
    assert(text.includes("'t Kattegat") && !text.includes("Kantine Bezemheide"), text.slice(0, 200));
  });

  await check("French labels and dates in French", async () => {
    await page.goto(API + "/?lang=fr&municipality=Kalmthout");
    await page.waitForSelector("#activities[data-stek-state=ready]");
    assert(await page.locator("html").getAttribute("lang") === "fr", "html lang");
    assert((await page.innerText("h1")).includes("Qu'est-ce"), "French title");
    const text = await widgetText(page, "#activities");
    assert(/jeudi/i.test(text) && text.includes("Gratuit"), text.slice(0, 200));
  });

  await check("axe-core finds no serious or critical problem on the public page", async () => {
    await page.goto(API + "/?municipality=Kalmthout");
    await page.waitForSelector("#activities[data-stek-state=ready]");
    await axe(page, "public page");
  });

  await check("screenshots at phone and desktop width, and the print view", async () => {
    for (const [name, width, height] of [["phone", 375, 812], ["desktop", 1280, 900]]) {
      await page.setViewportSize({ width, height });
      await page.screenshot({ path: `${SHOTS}/public-page-${name}.png`, fullPage: true });
      await host.setViewportSize({ width, height });
      await host.screenshot({ path: `${SHOTS}/widget-on-host-${name}.png`, fullPage: true });
    }
    await page.emulateMedia({ media: "print" });
    assert(!(await page.locator("#filters").isVisible()), "filters are printed");
    assert(await page.locator("#activities >> css=li.item").first().isVisible(), "list not printed");
    await page.screenshot({ path: `${SHOTS}/public-page-print.png`, fullPage: true });
    await page.emulateMedia({ media: "screen" });
  });

  await check("the monthly calendar of Kantine Bezemheide prints on one A4 page, QR and all", async () => {
    const sites = await (await fetch(API + "/v1/sites?q=Bezemheide")).json();
    const id = sites.items[0].id;
    const page = await context.newPage();
    const res = await page.goto(`${API}/print/month?site=${id}&month=2026-12`);
    assert(res.status() === 200, "status " + res.status());
    const text = await page.locator("body").innerText();
    for (const want of ["december 2026", "Kantine Bezemheide", "Gomarus Van Geelstraat 30",
                        "donderdag", "Koffie & Formulieren", "Gratis", "Contact"])
      assert(text.includes(want), "missing " + want);
    const pdf = await page.pdf({ landscape: true, format: "A4", preferCSSPageSize: true,
                                 printBackground: true });
    writeFileSync(`${SHOTS}/month-bezemheide.pdf`, pdf);
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    assert(pages === 1, `${pages} pages`);
    await page.setViewportSize({ width: 1123, height: 794 });
    await page.screenshot({ path: `${SHOTS}/month-bezemheide.png`, fullPage: true });
    await page.locator("figure svg").screenshot({ path: `${SHOTS}/month-qr.png` });
    const decoded = execFileSync("zbarimg", ["--raw", "-q", `${SHOTS}/month-qr.png`]).toString().trim();
    assert(decoded === `${API}/?site=${id}`, "QR says " + decoded);
    await axe(page, "monthly calendar");
    const fr = await page.goto(`${API}/print/month?site=${id}&month=2026-12&lang=fr`);
    assert((await page.locator("body").innerText()).includes("jeudi"), "no French weekdays");
    await page.close();
  });

  await check("the advocacy view draws the API's numbers as bars, hidden cells marked", async () => {
    const page = await context.newPage();
    await page.goto(`${API}/stats?municipality=Kalmthout`);
    await page.waitForFunction(() => window.StekStats && window.StekStats.ready);
    await page.evaluate(() => window.StekStats.ready);
    await page.waitForSelector("#barriers svg.bars");
    const api = await (await fetch(`${API}/v1/stats/signals?municipality=Kalmthout&kind=barrier&group_by=theme`)).json();
    const bars = await page.$$eval("#barriers rect.bar", (rs) => rs.map((r) => ({
      count: r.getAttribute("data-count"), h: Number(r.getAttribute("height")),
      suppressed: r.classList.contains("suppressed") })));
    assert(bars.length === api.rows.length, `${bars.length} bars for ${api.rows.length} rows`);
    const shown = api.rows.filter((r) => r.count !== null);
    assert(shown.length >= 2 && api.rows.some((r) => r.count === null), JSON.stringify(api.rows));
    const max = Math.max(...shown.map((r) => r.count));
    api.rows.forEach((r, i) => {
      if (r.count === null) {
        assert(bars[i].suppressed && bars[i].count === "", "a hidden row is not marked: " + JSON.stringify(bars[i]));
      } else {
        assert(Number(bars[i].count) === r.count, `bar ${i} says ${bars[i].count}, the API ${r.count}`);
        assert(Math.abs(bars[i].h - (r.count / max) * 220) <= 1, `bar ${i} height ${bars[i].h} not in proportion`);
      }
    });
    const text = await page.locator("main").innerText();
    for (const want of ["minder dan 5", "Gemeenteraad Kalmthout", "De energiepremie krijgt een loket op papier",
                        "Zo zijn de cijfers beschermd", "aangekaart"])
      assert(text.includes(want), "missing: " + want);
    await axe(page, "advocacy view");
    /* Keyboard: every control is reachable with Tab. */
    const seen = [];
    await page.focus("body");
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press("Tab");
      seen.push(await page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.tagName)));
    }
    for (const id of ["municipality", "year", "print"])
      assert(seen.includes(id), "not reachable with Tab: " + id + " in " + seen.join(","));
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: `${SHOTS}/stats-desktop.png`, fullPage: true });
    const pdf = await page.pdf({ format: "A4", printBackground: true });
    writeFileSync(`${SHOTS}/stats-print.pdf`, pdf);
    const pages = (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    assert(pages >= 1 && pages <= 2, `the print view has ${pages} pages`);
    await page.emulateMedia({ media: "print" });
    await page.screenshot({ path: `${SHOTS}/stats-print.png`, fullPage: true });
    await page.close();
  });

  await check("with the API stopped the widget says so calmly and keeps the last list", async () => {
    process.kill(Number(process.env.STEK_API_PID), "SIGTERM");
    await new Promise((r) => setTimeout(r, 1500));
    await host.evaluate(() => window.StekWidget.render(document.getElementById("kalmthout")));
    await host.waitForSelector("#kalmthout[data-stek-state=unavailable]", { timeout: 15000 });
    const text = await widgetText(host, "#kalmthout");
    assert(text.includes("kunnen nu niet geladen worden"), "no message: " + text.slice(0, 200));
    assert(text.includes("Open Leersalon"), "the last list is gone");
    assert(await host.locator("#host-content").isVisible(), "the host page broke");
    await host.screenshot({ path: `${SHOTS}/widget-api-down.png`, fullPage: true });
  });

  await check("no script errors on any page", async () => {
    assert(errors.length === 0, errors.join("; "));
  });
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
