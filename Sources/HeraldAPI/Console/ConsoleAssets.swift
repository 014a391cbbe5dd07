/// The console's one stylesheet and one script, served by herald-api (no build step, nothing
/// downloaded). The script only enhances: every screen works with plain forms.
enum ConsoleAssets {
    static let css = """
    :root { --fg: #1d2330; --muted: #5d6675; --line: #dde1e8; --bg: #f6f7f9; --card: #fff; --accent: #2456c9; --ok: #1d7a46; --bad: #b3261e; --grey: #6b7280; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
    header { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem 1.25rem; padding: .75rem 1.5rem; background: var(--card); border-bottom: 1px solid var(--line); }
    header .brand { font-weight: 700; color: var(--accent); text-decoration: none; font-size: 1.1rem; }
    header .crumb { color: var(--muted); }
    nav { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin-left: auto; }
    nav a { color: var(--fg); text-decoration: none; } nav a:hover, nav a:focus { color: var(--accent); text-decoration: underline; }
    nav .who { color: var(--muted); font-size: .9rem; }
    main { max-width: 1180px; margin: 0 auto; padding: 1.25rem 1.5rem 4rem; }
    h1 { font-size: 1.5rem; margin: .25rem 0 1rem; } h2 { font-size: 1.1rem; margin: 0 0 .75rem; } h3 { font-size: .95rem; margin: 1rem 0 .25rem; }
    .title { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .75rem; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin: 0 0 1rem; }
    .card.narrow { max-width: 460px; margin: 3rem auto; }
    .stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: .75rem; margin: 0 0 1rem; }
    .stats div { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: .75rem 1rem; }
    .stats .label { display: block; color: var(--muted); font-size: .85rem; } .stats .value { font-size: 1.5rem; font-weight: 600; }
    .value.ok { color: var(--ok); } .value.bad { color: var(--bad); }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: .75rem; }
    .scroll { overflow-x: auto; } table { width: 100%; border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
    th, td { text-align: left; padding: .55rem .7rem; border-bottom: 1px solid var(--line); vertical-align: top; } th { font-size: .85rem; color: var(--muted); font-weight: 600; }
    .sub { color: var(--muted); font-size: .8rem; } .empty { color: var(--muted); }
    .badge { display: inline-block; padding: .1rem .55rem; border-radius: 999px; font-size: .8rem; font-weight: 600; color: #fff; }
    .badge.green { background: var(--ok); } .badge.grey { background: var(--grey); } .badge.red { background: var(--bad); }
    .reason { color: var(--bad); font-size: .8rem; max-width: 22rem; }
    .state { font-weight: 600; } .state.succeeded { color: var(--ok); } .state.failed { color: var(--bad); } .state.retrying, .state.pending, .state.in_flight { color: #8a5a00; }
    .actions { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; } .actions.sticky { position: sticky; bottom: 0; background: var(--bg); padding: .75rem 0; }
    form.inline { display: inline; margin: 0; }
    label { display: block; margin: 0 0 .6rem; font-weight: 500; } label.check { display: inline-flex; gap: .35rem; align-items: center; font-weight: 400; margin-right: .8rem; }
    input, select, textarea { display: block; width: 100%; margin-top: .2rem; padding: .45rem .55rem; border: 1px solid #c4cad4; border-radius: 6px; font: inherit; background: #fff; }
    input[type=checkbox], input[type=radio] { display: inline; width: auto; margin: 0; }
    textarea.code, pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85rem; }
    pre { background: #f0f2f5; padding: .6rem .8rem; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
    .row { display: flex; flex-wrap: wrap; gap: .75rem; } .row > label { flex: 1 1 180px; }
    .header-row input { flex: 1 1 160px; } .header-row { align-items: center; margin-bottom: .4rem; }
    fieldset { border: 0; padding: 0; margin: 0; } fieldset.events { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .75rem; }
    legend { font-weight: 600; padding: 0 .25rem; }
    button, .button { display: inline-block; padding: .45rem .9rem; border: 1px solid #c4cad4; border-radius: 6px; background: #fff; color: var(--fg); font: inherit; cursor: pointer; text-decoration: none; }
    button:hover, .button:hover { border-color: var(--accent); } button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible { outline: 3px solid #9db7f0; outline-offset: 1px; }
    .primary { background: var(--accent); border-color: var(--accent); color: #fff; } .danger { color: var(--bad); } button.link { border: 0; background: none; padding: 0; color: var(--fg); text-decoration: underline; }
    .notice { border-radius: 8px; padding: .75rem 1rem; margin: 0 0 1rem; border: 1px solid; } .notice.ok { background: #eaf6ee; border-color: #b6dfc4; }
    .notice.error { background: #fdecea; border-color: #f2b8b5; } .notice.secret { background: #fff7e0; border-color: #f0d48a; }
    code.secret { display: block; margin-top: .4rem; font-size: 1rem; user-select: all; }
    [aria-invalid=true] { border-color: var(--bad); background: #fff8f7; }
    .search { display: flex; gap: .5rem; margin: 0 0 1rem; } .search input { margin: 0; } .filters { display: flex; flex-wrap: wrap; gap: .75rem; align-items: end; margin-bottom: 1rem; }
    .timeline { padding-left: 1.2rem; } .timeline li { margin-bottom: .6rem; } .timeline li.ok strong { color: var(--ok); } .timeline li.bad strong { color: var(--bad); }
    .facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; } .facts dt { color: var(--muted); } .facts dd { margin: 0; }
    .result-card.ok { border-color: #b6dfc4; } .result-card.bad { border-color: #f2b8b5; }
    .match-ok { color: var(--ok); } .match-no { color: var(--muted); }
    .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    .more { display: inline-block; margin: .75rem 0; } ul.types { columns: 2; padding-left: 1rem; }
    .auth { display: none; } .auth.shown { display: block; }
    @media (max-width: 640px) { main { padding: 1rem .75rem 3rem; } header { padding: .6rem .75rem; } nav { margin-left: 0; } th, td { padding: .45rem .5rem; } }
    """

    static let js = """
    "use strict";
    (function () {
      function csrf() { var f = document.querySelector("input[name=_csrf]"); return f ? f.value : ""; }
      function post(url, body) {
        return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() }, body: JSON.stringify(body) })
          .then(function (r) { return r.json(); });
      }
      function text(el, t) { el.textContent = t; }
      document.querySelectorAll("form[data-confirm]").forEach(function (form) {
        form.addEventListener("submit", function (e) { if (!window.confirm(form.getAttribute("data-confirm"))) { e.preventDefault(); } });
      });
      var authType = document.getElementById("auth-type");
      function showAuth() {
        document.querySelectorAll(".auth").forEach(function (d) { d.classList.toggle("shown", authType && d.getAttribute("data-auth") === authType.value); });
      }
      if (authType) { authType.addEventListener("change", showAuth); showAuth(); }
      var rows = document.getElementById("header-rows");
      function wire(row) { var b = row.querySelector(".remove-row"); if (b) { b.addEventListener("click", function () { row.remove(); }); } }
      if (rows) {
        rows.querySelectorAll(".header-row").forEach(wire);
        document.getElementById("add-header").addEventListener("click", function () {
          var row = rows.querySelector(".header-row").cloneNode(true);
          row.querySelectorAll("input").forEach(function (i) { i.value = ""; });
          rows.appendChild(row); wire(row); row.querySelector("input").focus();
        });
      }
      var defaults = document.getElementById("default-template");
      if (defaults) {
        defaults.addEventListener("click", function () {
          document.getElementById("payload_template").value = '{\\n  "event": "{webhook.event}",\\n  "delivery_id": "{delivery.id}",\\n  "webhook_id": "{webhook.id}",\\n  "sent_at": "{webhook.timestamp}"\\n}';
        });
      }
      var preview = document.getElementById("preview-template");
      if (preview) {
        preview.addEventListener("click", function () {
          var out = document.getElementById("preview-result");
          text(out, "Rendering…");
          post("/console/api/preview", { template: document.getElementById("payload_template").value, event_type: document.getElementById("preview-type").value })
            .then(function (r) { out.classList.toggle("error", r.ok !== "true"); text(out, r.ok === "true" ? r.rendered : "Error: " + r.error); })
            .catch(function () { text(out, "The preview could not be loaded."); });
        });
      }
      var check = document.getElementById("check-filter");
      if (check) {
        check.addEventListener("click", function () {
          var out = document.getElementById("filter-result");
          var events = Array.prototype.map.call(document.querySelectorAll("input[name=events]:checked"), function (c) { return c.value; });
          var custom = (document.querySelector("input[name=events_custom]") || { value: "" }).value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
          text(out, "Checking…");
          post("/console/api/match", { filter: document.getElementById("filter").value, events: events.concat(custom) }).then(function (r) {
            out.innerHTML = "";
            if (r.error) { var p = document.createElement("p"); p.className = "notice error"; text(p, r.error); out.appendChild(p); return; }
            [["Catalog samples", r.samples], ["Recent events", r.recent]].forEach(function (group) {
              var h = document.createElement("h3"); text(h, group[0] + " (" + group[1].filter(function (m) { return m.matches; }).length + " of " + group[1].length + " would trigger)"); out.appendChild(h);
              var ul = document.createElement("ul");
              group[1].forEach(function (m) {
                var li = document.createElement("li"); li.className = m.matches ? "match-ok" : "match-no";
                text(li, (m.matches ? "✓ " : "✗ ") + m.type + (m.id ? " " + m.id : "") + " — " + m.why); ul.appendChild(li);
              });
              out.appendChild(ul);
            });
          }).catch(function () { text(out, "The check could not be run."); });
        });
      }
    })();
    """
}
