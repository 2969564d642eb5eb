/*
 * Pouls form capture: sends a website's own forms to Pouls as leads, with the visit's attribution.
 *
 *   <script src="https://pouls.example/static/pouls/pouls-forms.js"
 *           data-endpoint="https://pouls.example/c/acme/capture/contact/" defer></script>
 *   or: data-client="acme" data-form-key="contact" (the endpoint is then built on this script's origin)
 *
 * Forms marked `data-pouls-form` are sent; with `data-auto` on the script, so is every form of the
 * page that has an `email` field and no password field (search and login forms are left alone).
 * Password fields are never sent.
 * A form may name its own key (`data-pouls-form="newsletter"`, with `data-client`) or endpoint
 * (`data-pouls-endpoint`). On submit the script adds hidden inputs with the visit's UTM parameters
 * (read from the URL and kept in sessionStorage for the visit, so a later page's form has them too),
 * the page, the visit's landing page and referrer, then posts JSON with fetch; without fetch, or if
 * the network fails, it falls back to a normal form post. No cookies, no dependencies.
 *
 * The form gets `data-pouls-state` = sending | sent | error and fires `pouls:success` or
 * `pouls:error` (detail: {status, errors}). Inside it, `[data-pouls-success]` and
 * `[data-pouls-error]` elements are un-hidden accordingly; `data-pouls-redirect` on the form sends
 * the visitor to that URL once sent.
 */
(function () {
  "use strict";

  var UTM_FIELDS = ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"];
  var STORAGE_KEY = "pouls:visit";
  var ADDED = "data-pouls-added";
  var PASSWORDS = 'input[type="password"]';

  var script = document.currentScript || document.querySelector('script[src*="pouls-forms.js"]');
  if (!script) {
    return;
  }

  function endpointFor(form) {
    var own = form.getAttribute("data-pouls-endpoint");
    if (own) {
      return own;
    }
    var client = script.getAttribute("data-client");
    var key = form.getAttribute("data-pouls-form") || script.getAttribute("data-form-key");
    if (client && key) {
      var base = script.src ? new URL(script.src, window.location.href).origin : window.location.origin;
      return base + "/c/" + encodeURIComponent(client) + "/capture/" + encodeURIComponent(key) + "/";
    }
    return script.getAttribute("data-endpoint");
  }

  function pageAddress() {
    return window.location.origin + window.location.pathname;
  }

  function queryParams() {
    var params = {};
    var query = window.location.search.replace(/^\?/, "");
    if (!query) {
      return params;
    }
    query.split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      var name = at < 0 ? pair : pair.slice(0, at);
      var value = at < 0 ? "" : pair.slice(at + 1);
      try {
        params[decodeURIComponent(name.replace(/\+/g, " "))] = decodeURIComponent(value.replace(/\+/g, " "));
      } catch (malformed) {
        // A malformed escape in someone else's parameter: skip it.
      }
    });
    return params;
  }

  function readVisit() {
    try {
      return JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
    } catch (unavailable) {
      return null;
    }
  }

  function saveVisit(visit) {
    try {
      window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(visit));
    } catch (unavailable) {
      // Storage disabled (privacy mode): this page's own parameters still go with its forms.
    }
  }

  // The visit's attribution: UTMs in this page's URL start a new one (a new campaign touch),
  // otherwise the one remembered from an earlier page, otherwise this page is the landing page.
  function currentVisit() {
    var params = queryParams();
    var tagged = UTM_FIELDS.some(function (name) {
      return params[name];
    });
    var visit = readVisit();
    if (tagged || !visit) {
      visit = { landing_url: pageAddress(), referrer: document.referrer || "" };
      UTM_FIELDS.forEach(function (name) {
        if (params[name]) {
          visit[name] = params[name].slice(0, 200);
        }
      });
      saveVisit(visit);
    }
    return visit;
  }

  var visit = currentVisit();

  // The form's own non-empty field wins; otherwise one hidden input of ours carries the value.
  function setHidden(form, name, value) {
    var added = null;
    var own = false;
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.name !== name) {
        return;
      }
      if (element.hasAttribute(ADDED)) {
        added = element;
      } else if (element.value) {
        own = true;
      }
    });
    if (own || !value) {
      if (added) {
        added.parentNode.removeChild(added);
      }
      return;
    }
    if (!added) {
      added = document.createElement("input");
      added.type = "hidden";
      added.name = name;
      added.setAttribute(ADDED, "");
      form.appendChild(added);
    }
    added.value = value;
  }

  function addAttribution(form) {
    UTM_FIELDS.forEach(function (name) {
      setHidden(form, name, visit[name]);
    });
    setHidden(form, "page_url", pageAddress());
    setHidden(form, "landing_url", visit.landing_url);
    setHidden(form, "referrer", visit.referrer);
  }

  function passwordNames(form) {
    var names = {};
    Array.prototype.forEach.call(form.querySelectorAll(PASSWORDS), function (input) {
      names[input.name] = true;
    });
    return names;
  }

  function formValues(form) {
    var values = {};
    var secret = passwordNames(form);
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && !secret[name]) {
        values[name] = value;
      }
    });
    return values;
  }

  function show(form, selector, visible) {
    Array.prototype.forEach.call(form.querySelectorAll(selector), function (element) {
      element.hidden = !visible;
    });
  }

  function finish(form, status, body) {
    var ok = status >= 200 && status < 300;
    form.setAttribute("data-pouls-state", ok ? "sent" : "error");
    show(form, "[data-pouls-success]", ok);
    show(form, "[data-pouls-error]", !ok);
    var detail = { status: status, errors: ok ? null : body };
    form.dispatchEvent(new CustomEvent(ok ? "pouls:success" : "pouls:error", { bubbles: true, detail: detail }));
    if (ok) {
      form.reset();
      var redirect = form.getAttribute("data-pouls-redirect");
      if (redirect) {
        window.location.assign(redirect);
      }
    }
  }

  function pointAt(form, endpoint) {
    Array.prototype.forEach.call(form.querySelectorAll(PASSWORDS), function (input) {
      input.disabled = true; // a disabled field is not posted
    });
    form.setAttribute("action", endpoint);
    form.setAttribute("method", "post");
    form.setAttribute("data-pouls-state", "sending");
  }

  // Sends the form; true when it goes through fetch (the browser's own submission is then cancelled),
  // false when the browser's own submission should go ahead (to the endpoint, or untouched).
  function send(form) {
    var endpoint = endpointFor(form);
    if (!endpoint) {
      return false;
    }
    addAttribution(form);
    if (!window.fetch || !window.JSON || !window.FormData) {
      pointAt(form, endpoint);
      return false;
    }
    form.setAttribute("data-pouls-state", "sending");
    window
      .fetch(endpoint, {
        method: "POST",
        mode: "cors",
        credentials: "omit",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(formValues(form)),
      })
      .then(
        function (response) {
          return response.json().then(
            function (body) {
              finish(form, response.status, body);
            },
            function () {
              finish(form, response.status, null);
            }
          );
        },
        function () {
          // Network failure: post the form the old way (a re-submission only merges into the same lead).
          pointAt(form, endpoint);
          HTMLFormElement.prototype.submit.call(form);
        }
      );
    return true;
  }

  function selected(form) {
    if (form.hasAttribute("data-pouls-form")) {
      return true;
    }
    return (
      script.hasAttribute("data-auto") &&
      form.querySelector('[name="email"]') !== null &&
      form.querySelector(PASSWORDS) === null
    );
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || !selected(form)) {
      return;
    }
    if (form.getAttribute("data-pouls-state") === "sending") {
      event.preventDefault();
      return;
    }
    if (send(form)) {
      event.preventDefault();
    }
  });
})();
