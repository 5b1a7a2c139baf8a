// Puppeteer, unchanged, on the room's browser through nekoapi: node connect.mjs <ws endpoint>.
// Prints one JSON line: the title of the page it navigated, and what connect() saw.
import puppeteer from "puppeteer-core";

const browser = await puppeteer.connect({ browserWSEndpoint: process.argv[2], defaultViewport: null });
const pages = await browser.pages();
const page = pages[0];
await page.goto("data:text/html,<title>from puppeteer</title><body style='background:rgb(200,40,160)'>");
const result = { title: await page.title(), version: await browser.version(), pages: pages.length };
await browser.disconnect();
console.log(JSON.stringify(result));
