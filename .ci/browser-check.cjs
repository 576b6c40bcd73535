// Opens an allocguard HTML report in headless Chromium and checks what a
// reader would see: it loads without a console error or a request for
// anything outside the file, the index lists failures first and every link
// lands on a section, every chart has at least three distinct labels on each
// axis in one unit, no two labels of a chart overlap, every phase band is
// visible, every label lies inside its chart, and table cells do not wrap.
//
//   NODE_PATH=<dir with playwright-core> node .ci/browser-check.cjs REPORT.html [SCREENSHOT.png]
//
// CHROMIUM overrides the browser (default /usr/bin/chromium, the Debian package).
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

async function main() {
  const [report, shot] = process.argv.slice(2);
  if (!report) throw new Error('usage: browser-check.cjs REPORT.html [SCREENSHOT.png]');
  const url = 'file://' + path.resolve(report);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const problems = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) problems.push(`not self-contained: it requests ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    const found = await page.evaluate(() => {
      const out = { problems: [], charts: 0, labels: 0, bands: 0, scenarios: 0 };
      const box = (e) => e.getBoundingClientRect();
      const overlap = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
      const pairs = (els, what, where) => {
        for (let i = 0; i < els.length; i++)
          for (let j = i + 1; j < els.length; j++)
            if (overlap(box(els[i]), box(els[j])))
              out.problems.push(`${where}: ${what} "${els[i].textContent}" and "${els[j].textContent}" overlap`);
      };
      // The index: failures first, every link lands on a section.
      const index = document.querySelector('#index + .scroll table');
      if (!index) out.problems.push('no index table under #index');
      else {
        const rows = [...index.querySelectorAll('tr')].slice(1);
        out.scenarios = rows.length;
        let seenPass = false;
        for (const r of rows) {
          const status = r.cells[0];
          const bad = status.classList.contains('bad');
          if (!bad) seenPass = true;
          else if (seenPass) out.problems.push(`index: failure ${r.cells[1].textContent} listed after a passing scenario`);
          const a = r.querySelector('a');
          if (!a || !document.getElementById(a.getAttribute('href').slice(1)))
            out.problems.push(`index: the link of ${r.cells[1].textContent} lands nowhere`);
        }
        if (rows.length !== document.querySelectorAll('h2[id^="s"]').length)
          out.problems.push('index: not every scenario section is listed');
      }
      // Charts.
      for (const svg of document.querySelectorAll('svg.chart')) {
        out.charts++;
        const section = svg.previousElementSibling && svg.closest('body') ? (() => {
          let e = svg;
          while (e && e.tagName !== 'H2') e = e.previousElementSibling;
          return e ? e.id : '?';
        })() : '?';
        const where = `${section} › ${svg.getAttribute('aria-label')}`;
        const frame = box(svg);
        for (const axis of ['ytick', 'xtick']) {
          const labels = [...svg.querySelectorAll(`text.${axis}`)];
          const texts = labels.map((t) => t.textContent);
          out.labels += labels.length;
          if (labels.length < 3 && !(axis === 'xtick' && labels.length === 2 && texts[1] === '1'))
            out.problems.push(`${where}: ${labels.length} ${axis} labels (${texts.join(', ')})`);
          if (new Set(texts).size !== texts.length) out.problems.push(`${where}: repeated ${axis} labels ${texts.join(', ')}`);
          if (axis === 'ytick') {
            const units = new Set(texts.map((t) => t.split(' ')[1]));
            if (units.size !== 1) out.problems.push(`${where}: y labels in several units: ${texts.join(', ')}`);
          }
          pairs(labels, `${axis} labels`, where);
        }
        pairs([...svg.querySelectorAll('text.phase')], 'phase names', where);
        for (const t of svg.querySelectorAll('text')) {
          const b = box(t);
          if (b.width === 0) out.problems.push(`${where}: label "${t.textContent}" is not drawn`);
          if (b.left < frame.left - 0.5 || b.right > frame.right + 0.5 || b.top < frame.top - 0.5 || b.bottom > frame.bottom + 0.5)
            out.problems.push(`${where}: label "${t.textContent}" sticks out of the chart`);
        }
        for (const band of svg.querySelectorAll('rect.band')) {
          out.bands++;
          if (box(band).width < 5.5) out.problems.push(`${where}: phase ${band.dataset.phase} is ${box(band).width}px wide`);
        }
        if (!svg.querySelector('polyline.run')) out.problems.push(`${where}: no line`);
      }
      // Tables: one line per cell, except the cells meant to wrap.
      for (const cell of document.querySelectorAll('td:not(.wrap), th')) {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) out.problems.push(`table cell "${cell.textContent.slice(0, 40)}" wraps onto ${tops.size} lines`);
      }
      return out;
    });
    problems.push(...found.problems);
    if (found.charts === 0) problems.push('no charts');
    if (shot) await page.screenshot({ path: shot });
    console.log(`${report}: ${found.scenarios} scenarios, ${found.charts} charts, ${found.labels} axis labels, ${found.bands} phase bands checked`);
  } finally {
    await browser.close();
  }
  if (problems.length) {
    for (const p of problems) console.error(`error: ${p}`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(`error: ${e.stack || e}`);
  process.exit(1);
});
