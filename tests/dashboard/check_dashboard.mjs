// Opens Prevu's dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and checks what a user sees: the page loads with no console error, the
// preview with the given key is listed with its phase and a link to its URL, opening its details
// shows its conditions and build log, and at phone width nothing overflows sideways. Writes a
// screenshot at each width. Exits 0 when every check holds, 1 with the reasons otherwise.
//
// usage: node check_dashboard.mjs DASHBOARD_URL PREVIEW_KEY EXPECTED_PHASE SCREENSHOT_PREFIX
import { chromium } from "playwright-core";

const [url, key, phase, screenshotPrefix] = process.argv.slice(2);
if (!screenshotPrefix) {
  console.error("usage: node check_dashboard.mjs URL KEY PHASE SCREENSHOT_PREFIX");
  process.exit(2);
}

const problems = [];
const check = (ok, what) => { if (!ok) problems.push(what); };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  // Any request that leaves the Prevu host would be an external asset (a CDN, a font).
  const origin = new URL(url).origin;
  const foreign = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(origin)) foreign.push(request.url());
  });

  await page.goto(url, { waitUntil: "load" });
  const article = page.locator(`article[data-key="${key}"]`);
  await article.waitFor({ timeout: 15000 });

  const shownPhase = await article.locator("[data-phase]").getAttribute("data-phase");
  check(shownPhase === phase, `phase shown is ${shownPhase}, expected ${phase}`);
  const colour = await article.locator("[data-phase]").evaluate(
      (node) => getComputedStyle(node).backgroundColor);
  check(colour && colour !== "rgba(0, 0, 0, 0)", `the phase has no colour (${colour})`);
  const api = await (await page.request.get(
      new URL(`/api/v1/previews`, url).toString())).json();
  const preview = api.previews.find((p) => p.key === key);
  check(preview !== undefined, `the API does not list ${key}`);
  if (preview && preview.url) {
    const href = await article.locator(`a[href="${preview.url}"]`).count();
    check(href === 1, `no link to ${preview.url} in the preview's row`);
  }
  const text = await article.innerText();
  check(text.includes(preview ? preview.title : "\u0000"), "the title is not shown");

  // The details: conditions and the build log.
  await article.locator("summary").first().click();
  await page.waitForTimeout(500);
  const details = await article.locator("details").innerText();
  check(/type|reason|condition/i.test(details), "opening the details shows no conditions");
  await page.screenshot({ path: `${screenshotPrefix}-desktop.png`, fullPage: true });

  // Phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.waitForTimeout(300);
  const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `at 375 px the page scrolls sideways by ${overflow} px`);
  await page.screenshot({ path: `${screenshotPrefix}-phone.png`, fullPage: true });

  // It refreshes by itself: another fetch of the list happens within a few seconds.
  const refreshed = await page.waitForRequest(
      (request) => request.url().includes("/api/v1/previews"), { timeout: 8000 })
      .then(() => true, () => false);
  check(refreshed, "the page did not refresh the list by itself");

  check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);
  check(foreign.length === 0, `external requests: ${foreign.join(" ")}`);
} finally {
  await browser.close();
}

if (problems.length > 0) {
  for (const problem of problems) console.error(`dashboard: ${problem}`);
  process.exit(1);
}
console.log(`dashboard: ok (${key} shown as ${phase}; screenshots ${screenshotPrefix}-*.png)`);
