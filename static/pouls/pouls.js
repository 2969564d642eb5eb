/*
 * Pouls tracking: visits and calls-to-action of a client's website, for its daily Traffic and CTA
 * statistics.
 *
 *   <script src="https://pouls.example/static/pouls/pouls.js"
 *           data-site="https://pouls.example/c/acme/" defer></script>
 *
 * data-site is the client account's base URL; events go to its `track/` endpoint.
 *
 * - A visit: one per browser session and landing page. The session is a random id kept in
 *   sessionStorage (one per tab, gone when it closes; no cookies). A page is a landing page when the
 *   session starts on it, or when the visitor arrives on it anew: with UTM parameters in its URL (a
 *   campaign touch) or from another website. A reload, or browsing on to the site's other pages, is
 *   not another visit. The visit carries the page (without its query string), the referrer (without
 *   its query string) and the UTM parameters; Pouls derives the channel from them.
 * - CTA views and clicks: elements marked `data-pouls-cta="key"` (lower-case letters, digits, `_`,
 *   `-`). A view is counted when at least half of the element enters the viewport, a click when it
 *   is clicked; each at most once per key and page view. A click always counts a view too.
 *   Elements added to the page later are watched as well.
 * - With Do Not Track or Global Privacy Control on, nothing is recorded or sent.
 *
 * Events (each with a random UUID) are batched and sent with navigator.sendBeacon (fetch with
 * keepalive where it refuses) a second after the first one is queued, and when the page is hidden
 * or left. Vanilla JS, no dependencies, nothing to configure on the page but the script tag.
 */
(function () {
  "use strict";

  var FLUSH_DELAY = 1000; // ms after the first queued event
  var MAX_BATCH = 50; // events per request (the endpoint takes 100)
  var MAX_BYTES = 60000; // per request: browsers allow 64 KiB of beacons in flight
  var MAX_URL = 2000; // characters the endpoint takes for a page or a referrer
  var SESSION_KEY = "pouls:session";
  var SESSION_ID = /^[A-Za-z0-9-]{8,64}$/;
  var LANDED_KEY = "pouls:landed";
  var UTM = ["source", "medium", "campaign", "term", "content"];
  var CTA_ATTRIBUTE = "data-pouls-cta";
  var CTA_KEY = /^[a-z0-9_-]{1,100}$/;

  var script = document.currentScript || document.querySelector("script[data-site][src*='pouls.js']");
  if (!script || window.__poulsTracking) {
    return;
  }
  window.__poulsTracking = true;

  function optedOut() {
    var dnt = navigator.doNotTrack || window.doNotTrack || navigator.msDoNotTrack;
    return navigator.globalPrivacyControl === true || dnt === "1" || dnt === "yes";
  }

  function endpointFrom(site) {
    try {
      var base = new URL(site, window.location.href);
      if (base.protocol !== "https:" && base.protocol !== "http:") {
        return null;
      }
      base.search = "";
      base.hash = "";
      if (base.pathname.slice(-1) !== "/") {
        base.pathname += "/";
      }
      return new URL("track/", base).href;
    } catch (invalid) {
      return null;
    }
  }

  var endpoint = endpointFrom(script.getAttribute("data-site") || "");
  if (!endpoint || optedOut() || !window.JSON) {
    return;
  }

  // --- Identifiers -------------------------------------------------------------------------------

  function uuid() {
    var cryptoApi = window.crypto || window.msCrypto;
    if (cryptoApi && typeof cryptoApi.randomUUID === "function") {
      return cryptoApi.randomUUID(); // secure contexts only
    }
    var bytes = new Uint8Array(16);
    if (cryptoApi && cryptoApi.getRandomValues) {
      cryptoApi.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
    var hex = Array.prototype.map
      .call(bytes, function (byte) {
        return (byte + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function stored(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (unavailable) {
      return null;
    }
  }

  function store(key, value) {
    try {
      window.sessionStorage.setItem(key, value);
    } catch (unavailable) {
      // Storage disabled: the session lasts as long as the page.
    }
  }

  var sessionIsNew = !SESSION_ID.test(stored(SESSION_KEY) || "");
  if (sessionIsNew) {
    store(SESSION_KEY, uuid());
  }
  // Without sessionStorage (disabled, or a privacy mode) every page has a session of its own.
  var storageWorks = SESSION_ID.test(stored(SESSION_KEY) || "");
  var session = storageWorks ? stored(SESSION_KEY) : uuid();

  // --- Events and their sending ------------------------------------------------------------------

  var queue = [];
  var timer = null;

  function withoutQuery(url) {
    try {
      var parsed = new URL(url);
      return (parsed.origin + parsed.pathname).slice(0, MAX_URL);
    } catch (invalid) {
      return "";
    }
  }

  function byteLength(text) {
    return window.TextEncoder ? new TextEncoder().encode(text).length : text.length * 3;
  }

  var page = withoutQuery(window.location.href);

  function record(type, fields) {
    var event = { id: uuid(), type: type, at: new Date().toISOString(), session: session, url: page };
    for (var name in fields) {
      if (Object.prototype.hasOwnProperty.call(fields, name)) {
        event[name] = fields[name];
      }
    }
    queue.push(event);
    if (timer === null) {
      timer = window.setTimeout(flush, FLUSH_DELAY);
    }
  }

  function post(body) {
    try {
      if (navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) {
        return; // a string body goes as text/plain: a simple request, no preflight
      }
    } catch (refused) {
      // fall through to fetch
    }
    if (window.fetch) {
      window
        .fetch(endpoint, {
          method: "POST",
          body: body,
          keepalive: true,
          mode: "cors",
          credentials: "omit",
          headers: { "Content-Type": "text/plain;charset=UTF-8" },
        })
        .catch(function () {
          // Fire and forget.
        });
    }
  }

  function flush() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    while (queue.length) {
      var count = Math.min(queue.length, MAX_BATCH);
      var body = JSON.stringify({ events: queue.slice(0, count) });
      while (byteLength(body) > MAX_BYTES && count > 1) {
        count = Math.ceil(count / 2);
        body = JSON.stringify({ events: queue.slice(0, count) });
      }
      queue.splice(0, count);
      post(body);
    }
  }

  window.addEventListener("pagehide", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush();
    }
  });

  // --- The visit ---------------------------------------------------------------------------------

  function utmParameters() {
    var utm = {};
    var tagged = false;
    if (window.URLSearchParams) {
      var params = new URLSearchParams(window.location.search);
      UTM.forEach(function (name) {
        var value = params.get("utm_" + name);
        if (value) {
          utm[name] = value.slice(0, 200);
          tagged = true;
        }
      });
    }
    return tagged ? utm : null;
  }

  function fromAnotherSite(referrer) {
    try {
      return referrer !== "" && new URL(referrer).host !== window.location.host;
    } catch (invalid) {
      return false;
    }
  }

  function landed() {
    try {
      return JSON.parse(stored(LANDED_KEY) || "{}") || {};
    } catch (corrupt) {
      return {};
    }
  }

  function recordVisit() {
    var utm = utmParameters();
    var referrer = document.referrer || "";
    var newSession = storageWorks ? sessionIsNew : referrer === "";
    if (!(newSession || utm || fromAnotherSite(referrer))) {
      return; // browsing on within the site
    }
    var pages = landed();
    if (pages[page]) {
      return; // a reload, or the same landing page again in this session
    }
    pages[page] = 1;
    store(LANDED_KEY, JSON.stringify(pages));
    var fields = { referrer: withoutQuery(referrer) };
    if (utm) {
      fields.utm = utm;
    }
    record("visit", fields);
  }

  // --- Calls-to-action ---------------------------------------------------------------------------

  var viewed = {};
  var clicked = {};
  var observer = null;

  function ctaKey(element) {
    var key = (element.getAttribute(CTA_ATTRIBUTE) || "").trim().toLowerCase();
    return CTA_KEY.test(key) ? key : null;
  }

  function view(key) {
    if (!viewed[key]) {
      viewed[key] = true;
      record("cta_view", { cta: key });
    }
  }

  function watch(element) {
    var key = ctaKey(element);
    if (!key || viewed[key] || element.__poulsWatched) {
      return;
    }
    element.__poulsWatched = true;
    if (observer) {
      observer.observe(element);
    }
  }

  function watchWithin(root) {
    if (root.nodeType !== 1) {
      return;
    }
    if (root.hasAttribute(CTA_ATTRIBUTE)) {
      watch(root);
    }
    Array.prototype.forEach.call(root.querySelectorAll("[" + CTA_ATTRIBUTE + "]"), watch);
  }

  function startCtas() {
    if (window.IntersectionObserver) {
      observer = new IntersectionObserver(
        function (entries) {
          entries.forEach(function (entry) {
            if (entry.isIntersecting) {
              var key = ctaKey(entry.target);
              observer.unobserve(entry.target);
              if (key) {
                view(key);
              }
            }
          });
        },
        { threshold: 0.5 }
      );
    }
    watchWithin(document.documentElement);
    if (window.MutationObserver) {
      new MutationObserver(function (mutations) {
        mutations.forEach(function (mutation) {
          Array.prototype.forEach.call(mutation.addedNodes, watchWithin);
        });
      }).observe(document.documentElement, { childList: true, subtree: true });
    }
    document.addEventListener(
      "click",
      function (event) {
        var target = event.target;
        var element = target && target.closest ? target.closest("[" + CTA_ATTRIBUTE + "]") : null;
        var key = element ? ctaKey(element) : null;
        if (!key || clicked[key]) {
          return;
        }
        clicked[key] = true;
        view(key);
        record("cta_click", { cta: key });
      },
      true
    );
  }

  recordVisit();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", startCtas);
  } else {
    startCtas();
  }
})();
